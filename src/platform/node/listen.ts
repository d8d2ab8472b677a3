import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import type { NodeRoute } from "./hook-route.ts";

export interface Listening {
  url: string;
  /** Stops accepting, lets the requests in flight finish (each bounded by its deadline), then returns. */
  close(): Promise<void>;
}

/** Node's default accept queue (511) overflows when thousands of hooks arrive at once, and the kernel then
 * drops connections into 1 s SYN retries; the kernel caps this at net.core.somaxconn. */
const LISTEN_BACKLOG = 8192;

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Serves a fetch handler (a Hono app's) on Node: the service and the exec agent alike. A
 * `route` may take a request first, straight from Node's objects (the service's hot path).
 */
export async function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  options: { port: number; host: string; route?: NodeRoute },
): Promise<Listening> {
  const app = getRequestListener(fetch, { hostname: options.host });
  const route = options.route;
  const server = createServer(
    route
      ? (req, res) => {
          if (!route(req, res)) void app(req, res);
        }
      : app,
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: options.port, host: options.host, backlog: LISTEN_BACKLOG }, resolve);
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A keep-alive connection turns idle once its answer is sent: sweep until all are gone.
      const sweep = () => {
        if ("closeIdleConnections" in server) server.closeIdleConnections();
      };
      sweep();
      const sweeper = setInterval(sweep, 50);
      await closed;
      clearInterval(sweeper);
    },
  };
}
