import { agentCommand } from "../cli/agent.ts";
import { dockerCommand } from "../cli/docker.ts";
import { serveCommand } from "../cli/serve.ts";
import { validateCommand } from "../cli/validate.ts";
import { errorText } from "../schema/labels.ts";
import { VERSION } from "../version.ts";

type Command = (args: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  serve: serveCommand,
  agent: agentCommand,
  docker: dockerCommand,
  validate: validateCommand,
};

const USAGE = `hookd ${VERSION}: Kubernetes-style lifecycle hooks for ECS and Docker

  hookd serve [--port 8787] [--host 127.0.0.1]       the service on Node
  hookd agent --mode docker|local [--port 9700] [--host 127.0.0.1]
                                                     the exec agent (docs/agent.md)
  hookd docker watch [--service URL] [--label KEY[=VALUE]]… [--json]
                                                     run postStart for labelled container starts (docs/docker.md)
  hookd docker stop CONTAINER [-t SECONDS] [--service URL] [--json]
                                                     preStop, then stop within the grace period
  hookd validate FILE|-                              check a Lifecycle spec (JSON or YAML)
`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(USAGE);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "version") {
    console.log(VERSION);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`hookd: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    return await command(args);
  } catch (err) {
    console.error(`hookd ${name}: ${errorText(err)}`);
    return 2;
  }
}
