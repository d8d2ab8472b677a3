import { parseArgs } from "node:util";
import { startNodeServer } from "../entry/node.ts";
import { errorText } from "../spec/labels.ts";
import { untilStopSignal } from "./signals.ts";

export async function serveCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: "string" }, host: { type: "string", default: "127.0.0.1" } },
    strict: true,
  });
  const portText = values.port ?? process.env.PORT ?? "8787";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    console.error(`hookd serve: --port must be a port number, got "${portText}"`);
    return 2;
  }
  let server: Awaited<ReturnType<typeof startNodeServer>>;
  try {
    server = await startNodeServer({ port, host: values.host });
  } catch (err) {
    console.error(`hookd serve: ${errorText(err)}`);
    return 1;
  }
  const tokenNote = !server.tokenSet
    ? ` — HOOKD_TOKEN is not set: /v1 is open to anyone on this machine, so hookd listens on loopback only`
    : "";
  console.error(`hookd serve: listening on ${server.url}${tokenNote}`);
  await untilStopSignal("hookd serve", "finishing in-flight hooks, then exiting", () => server.close());
  return 0;
}
