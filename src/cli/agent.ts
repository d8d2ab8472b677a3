import { DEFAULT_AGENT_PORT, DEFAULT_MAX_CONCURRENT } from "../agent/protocol.ts";
import { loadConfig } from "../schema/settings.ts";
import { defineCommand, EXIT, UsageError, wholeNumberFlag } from "./command.ts";
import { abandonedNote, exitSoon, untilStopSignal } from "./signals.ts";

/** `hookd agent`: the exec agent (contract §4), in the foreground until SIGTERM or SIGINT. */
export const agentCommand = defineCommand({
  name: "agent",
  summary: "the exec agent: runs exec hooks for the service (docs/agent.md)",
  usage: "hookd agent --mode docker|local [--port 9700] [--host 127.0.0.1] [--max-concurrent 64]",
  description:
    "Serves POST /v1/exec (contract §4) with HOOKD_AGENT_TOKEN as its bearer token. --mode docker\nruns commands inside containers through DOCKER_HOST; --mode local runs them where the agent runs.",
  options: {
    mode: { type: "string" },
    port: { type: "string", default: String(DEFAULT_AGENT_PORT) },
    host: { type: "string", default: "127.0.0.1" },
    "max-concurrent": { type: "string", default: String(DEFAULT_MAX_CONCURRENT) },
  },
  optionHelp: [
    ["--mode docker|local", "where commands run: in the container named by the request, or here (required)"],
    ["--port N", `port to listen on, 0 for any free one (default ${DEFAULT_AGENT_PORT})`],
    ["--host ADDR", "address to listen on (default 127.0.0.1; another one needs HOOKD_AGENT_TOKEN)"],
    [
      "--max-concurrent N",
      `execs run at once; more are refused with 429 (default ${DEFAULT_MAX_CONCURRENT})`,
    ],
  ],
  example: "HOOKD_AGENT_TOKEN=$(openssl rand -hex 32) hookd agent --mode docker --host 0.0.0.0",
  async run(values) {
    const mode = values.mode;
    if (mode !== "docker" && mode !== "local") {
      throw new UsageError(
        `--mode must be docker or local, got ${mode === undefined ? "nothing" : JSON.stringify(mode)}`,
      );
    }
    const port = wholeNumberFlag("--port", values.port, 0, 65_535, "a port number");
    const maxConcurrent = wholeNumberFlag("--max-concurrent", values["max-concurrent"], 1, 100_000);
    // Every setting is checked at start, the service's too: one environment often serves both.
    const config = loadConfig(process.env);
    // Loaded once the arguments are known good: `--help` and a usage error answer without them.
    const { startAgentServer } = await import("../agent/server.ts");
    const { DEFAULT_DOCKER_HOST } = await import("../platform/node/docker-api.ts");
    const server = await startAgentServer({ mode, port, host: values.host, maxConcurrent });
    const where = mode === "docker" ? ` (Docker at ${process.env.DOCKER_HOST || DEFAULT_DOCKER_HOST})` : "";
    const tokenNote = config.agentToken
      ? ""
      : " — HOOKD_AGENT_TOKEN is not set: anyone on this machine can run commands through it";
    const seconds = config.shutdownSeconds;
    let left = 0;
    // Before the line that says the agent is up: a SIGTERM sent on reading it finds the handler.
    const stopped = untilStopSignal(
      "hookd agent",
      `finishing running execs (at most HOOKD_SHUTDOWN_SECONDS=${seconds}s), then exiting`,
      async () => {
        left = (await server.shutdown(seconds * 1000)).abandoned.length;
      },
    );
    console.error(`hookd agent: ${mode} mode${where}, listening on ${server.url}${tokenNote}`);
    await stopped;
    if (left > 0) console.error(abandonedNote("hookd agent", `${left} exec(s)`, seconds));
    return exitSoon(left > 0 ? EXIT.failed : EXIT.done);
  },
});
