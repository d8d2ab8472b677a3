import { createApp } from "../http/app.ts";
import { isLoopbackName } from "../http/auth.ts";
import { createNodeDeps, type NodeLogger } from "../platform/node/deps.ts";
import { type Listening, listen } from "../platform/node/listen.ts";

/** `tokenSet`: HOOKD_TOKEN holds at least one token (else /v1 is open, on loopback only). */
export type NodeServer = Listening & { tokenSet: boolean };

/** Starts the service on Node; `close` stops accepting, lets in-flight hooks finish, then returns. */
export async function startNodeServer(options: {
  port: number;
  host: string;
  env?: NodeJS.ProcessEnv;
  /** Default: JSON lines on stdout. */
  log?: NodeLogger;
}): Promise<NodeServer> {
  const deps = createNodeDeps(options.env ?? process.env, options.log ? { log: options.log } : {});
  if (deps.config.tokens.length === 0 && !isLoopbackName(options.host)) {
    throw new Error(
      `HOOKD_TOKEN is not set: refusing to serve /v1 on ${options.host}; set HOOKD_TOKEN or use a loopback --host`,
    );
  }
  const server = await listen(createApp(deps).fetch, { port: options.port, host: options.host });
  return {
    url: server.url,
    tokenSet: deps.config.tokens.length > 0,
    async close() {
      await server.close();
      await deps.close();
    },
  };
}
