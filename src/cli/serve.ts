import { parseArgs } from "node:util";
import { ConfigError } from "../config.ts";
import { isLoopback, startNodeServer } from "../entry/node.ts";

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
    console.error(`hookd serve: ${err instanceof ConfigError ? err.message : (err as Error).message}`);
    return 1;
  }
  const tokenNote =
    (process.env.HOOKD_TOKEN ?? "").trim() === ""
      ? ` — HOOKD_TOKEN is not set: /v1 is open to anyone on this machine, so hookd listens on loopback only`
      : "";
  console.error(`hookd serve: listening on ${server.url}${tokenNote}`);
  if (!isLoopback(values.host) && tokenNote) return 1;
  return await new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      console.error(`hookd serve: ${signal}: finishing in-flight hooks, then exiting`);
      void server.close().then(() => resolve(0));
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}
