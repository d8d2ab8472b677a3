import { parseArgs } from "node:util";
import { loadConfig } from "../config.ts";
import type { NodeServer } from "../entry/node.ts";
import { errorText } from "../schema/labels.ts";
import { wholeNumber } from "./args.ts";
import { abandonedNote, exitSoon, untilStopSignal } from "./signals.ts";

export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: "string" }, host: { type: "string", default: "127.0.0.1" } },
    strict: true,
  });
  // 0 asks the system for a free port; PORT is read with the other settings (a bad one exits 1).
  let port: number | undefined;
  try {
    port = values.port === undefined ? loadConfig(process.env).port : wholeNumber(values.port, 0, 65_535);
  } catch (err) {
    console.error(`hookd serve: ${errorText(err)}`);
    return 1;
  }
  if (port === undefined) {
    console.error(`hookd serve: --port must be a port number (0-65535), got ${JSON.stringify(values.port)}`);
    return 2;
  }
  let server: NodeServer;
  try {
    // Loaded once the arguments are known good: a usage error answers without the service's start-up.
    const { startNodeServer } = await import("../entry/node.ts");
    server = await startNodeServer({ port, host: values.host });
  } catch (err) {
    console.error(`hookd serve: ${errorText(err)}`);
    return 1;
  }
  const tokenNote = !server.tokenSet
    ? ` — HOOKD_TOKEN is not set: /v1 is open to anyone on this machine, so hookd listens on loopback only`
    : "";
  console.error(`hookd serve: listening on ${server.url}${tokenNote}`);
  const seconds = server.shutdownSeconds;
  let left = "";
  await untilStopSignal(
    "hookd serve",
    `finishing in-flight hooks (at most HOOKD_SHUTDOWN_SECONDS=${seconds}s), then exiting`,
    async () => {
      const { abandonedRuns, abandonedWork } = await server.shutdown(seconds * 1000);
      if (abandonedRuns.length + abandonedWork > 0) {
        left = `${abandonedRuns.length} hook run(s) and ${abandonedWork} background task(s)`;
      }
    },
  );
  if (left) console.error(abandonedNote("hookd serve", left, seconds));
  return exitSoon(left ? 1 : 0);
}
