import { parseArgs } from "node:util";
import {
  type AgentMode,
  DEFAULT_AGENT_PORT,
  DEFAULT_MAX_CONCURRENT,
  startAgentServer,
} from "../agent/server.ts";
import { loadConfig } from "../config.ts";
import { DEFAULT_DOCKER_HOST } from "../platform/node/docker-api.ts";
import { errorText } from "../schema/labels.ts";
import { wholeNumber } from "./args.ts";
import { abandonedNote, exitSoon, untilStopSignal } from "./signals.ts";

const USAGE = "usage: hookd agent --mode docker|local [--port 9700] [--host 127.0.0.1] [--max-concurrent 64]";

/** `hookd agent`: the exec agent (contract §4), in the foreground until SIGTERM or SIGINT. */
export async function agentCommand(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(`${USAGE}\n\nRuns exec hooks for the service (contract §4); see docs/agent.md.`);
    return 0;
  }
  const { values } = parseArgs({
    args,
    options: {
      mode: { type: "string" },
      port: { type: "string", default: String(DEFAULT_AGENT_PORT) },
      host: { type: "string", default: "127.0.0.1" },
      "max-concurrent": { type: "string", default: String(DEFAULT_MAX_CONCURRENT) },
    },
    strict: true,
  });
  const mode = values.mode;
  if (mode !== "docker" && mode !== "local") {
    console.error(
      `hookd agent: --mode must be docker or local, got ${mode === undefined ? "nothing" : `"${mode}"`}\n${USAGE}`,
    );
    return 2;
  }
  const port = wholeNumber(values.port, 0, 65_535);
  const maxConcurrent = wholeNumber(values["max-concurrent"], 1, 100_000);
  if (port === undefined || maxConcurrent === undefined) {
    console.error(
      `hookd agent: --port must be a port number and --max-concurrent a whole number ≥ 1, got "${values.port}" and "${values["max-concurrent"]}"\n${USAGE}`,
    );
    return 2;
  }
  // Every setting is checked at start, the service's too: one environment often serves both.
  loadConfig(process.env);
  let server: Awaited<ReturnType<typeof startAgentServer>>;
  let shutdownSeconds: number;
  try {
    shutdownSeconds = loadConfig(process.env).shutdownSeconds;
    server = await startAgentServer({
      mode: mode satisfies AgentMode,
      port,
      host: values.host,
      maxConcurrent,
    });
  } catch (err) {
    console.error(`hookd agent: ${errorText(err)}`);
    return 1;
  }
  const where = mode === "docker" ? ` (Docker at ${process.env.DOCKER_HOST || DEFAULT_DOCKER_HOST})` : "";
  const tokenNote = process.env.HOOKD_AGENT_TOKEN?.trim()
    ? ""
    : " — HOOKD_AGENT_TOKEN is not set: anyone on this machine can run commands through it";
  console.error(`hookd agent: ${mode} mode${where}, listening on ${server.url}${tokenNote}`);
  const seconds = shutdownSeconds;
  let left = 0;
  await untilStopSignal(
    "hookd agent",
    `finishing running execs (at most HOOKD_SHUTDOWN_SECONDS=${seconds}s), then exiting`,
    async () => {
      left = (await server.shutdown(seconds * 1000)).abandoned.length;
    },
  );
  if (left > 0) console.error(abandonedNote("hookd agent", `${left} exec(s)`, seconds));
  return exitSoon(left > 0 ? 1 : 0);
}
