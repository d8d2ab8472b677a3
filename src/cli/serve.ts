import { loadConfig } from "../schema/settings.ts";
import { defineCommand, EXIT, wholeNumberFlag } from "./command.ts";
import { abandonedNote, exitSoon, untilStopSignal } from "./signals.ts";

/** `hookd serve`: the service on Node, in the foreground until SIGTERM or SIGINT. */
export const serveCommand = defineCommand({
  name: "serve",
  summary: "the service on Node (the HTTP API); `npm start` runs it",
  usage: "hookd serve [--port 8787] [--host 127.0.0.1]",
  description:
    "Serves hookd's HTTP API (/v1, /healthz, /openapi.json) on Node. Without HOOKD_TOKEN it\nlistens on a loopback address only. Settings are read from the environment (README: Settings).",
  options: { port: { type: "string" }, host: { type: "string", default: "127.0.0.1" } },
  optionHelp: [
    ["--port N", "port to listen on, 0 for any free one (default: PORT, else 8787)"],
    ["--host ADDR", "address to listen on (default 127.0.0.1)"],
  ],
  example: "HOOKD_TOKEN=$(openssl rand -hex 32) hookd serve --host 0.0.0.0 --port 8787",
  async run(values) {
    const port =
      values.port === undefined
        ? undefined
        : wholeNumberFlag("--port", values.port, 0, 65_535, "a port number");
    // PORT is read with the other settings (a bad one exits 1).
    const config = loadConfig(process.env);
    // Loaded once the arguments are known good: a usage error answers without the service's start-up.
    const { startNodeServer } = await import("../entry/node.ts");
    const server = await startNodeServer({ port: port ?? config.port, host: values.host });
    const tokenNote = !server.tokenSet
      ? ` — HOOKD_TOKEN is not set: /v1 is open to anyone on this machine, so hookd listens on loopback only`
      : "";
    const seconds = server.shutdownSeconds;
    let left = "";
    // The handler is in place before the line that says hookd is up: a SIGTERM sent on reading it
    // must find it, not the default action (exit by the signal, no shutdown).
    const stopped = untilStopSignal(
      "hookd serve",
      `finishing in-flight hooks (at most HOOKD_SHUTDOWN_SECONDS=${seconds}s), then exiting`,
      async () => {
        const { abandonedRuns, abandonedWork } = await server.shutdown(seconds * 1000);
        if (abandonedRuns.length + abandonedWork > 0) {
          left = `${abandonedRuns.length} hook run(s) and ${abandonedWork} background task(s)`;
        }
      },
    );
    console.error(`hookd serve: listening on ${server.url}${tokenNote}`);
    await stopped;
    if (left) console.error(abandonedNote("hookd serve", left, seconds));
    return exitSoon(left ? EXIT.failed : EXIT.done);
  },
});
