import { errorText } from "../schema/labels.ts";
import { VERSION } from "../version.ts";

type Command = (args: string[]) => Promise<number>;

/**
 * Each command is loaded when it runs: `hookd validate` (a pre-commit hook, an editor) then
 * starts without the service's HTTP stack and AWS SDK, in about half the time (bench/README.md).
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import("../cli/serve.ts")).serveCommand,
  agent: async () => (await import("../cli/agent.ts")).agentCommand,
  docker: async () => (await import("../cli/docker.ts")).dockerCommand,
  validate: async () => (await import("../cli/validate.ts")).validateCommand,
  runs: async () => (await import("../cli/runs.ts")).runsCommand,
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
  hookd runs [--service URL] [--follow] [--json] [--container N] [--task ARN]
             [--phase P] [--outcome O] [--since T] [--limit N]
                                                     the run history, from the service or HOOKD_STORE
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
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    console.error(`hookd: unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  try {
    const command = await load();
    return await command(args);
  } catch (err) {
    console.error(`hookd ${name}: ${errorText(err)}`);
    // A wrong flag is bad usage; a bad setting, as any other failure to do the work, is 1.
    return isUsageError(err) ? 2 : 1;
  }
}

function isUsageError(err: unknown): boolean {
  return err instanceof Error && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS_");
}
