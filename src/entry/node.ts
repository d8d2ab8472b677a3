import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { createApp } from "../http/app.ts";
import { createNodeDeps } from "../platform/node/deps.ts";

const LISTEN_BACKLOG = 8192;

export interface NodeServer {
  url: string;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Starts the service on Node; `close` stops accepting, lets in-flight hooks finish, then returns. */
export async function startNodeServer(options: {
  port: number;
  host: string;
  env?: NodeJS.ProcessEnv;
}): Promise<NodeServer> {
  const deps = createNodeDeps(options.env ?? process.env);
  if (deps.config.tokens.length === 0 && !isLoopback(options.host)) {
    throw new Error(
      `HOOKD_TOKEN is not set: refusing to serve /v1 on ${options.host}; set HOOKD_TOKEN or use a loopback --host`,
    );
  }
  const app = createApp(deps);
  const server = createAdaptorServer({ fetch: app.fetch, hostname: options.host });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // Node's default accept queue (511) overflows when thousands of hooks arrive at once, and
    // the kernel then drops connections into 1 s SYN retries; the kernel caps this at somaxconn.
    server.listen({ port: options.port, host: options.host, backlog: LISTEN_BACKLOG }, resolve);
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ("closeIdleConnections" in server) server.closeIdleConnections();
      });
      await deps.close();
    },
  };
}
