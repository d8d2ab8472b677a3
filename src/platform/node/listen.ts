import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { ApiError, errorPayload } from "../../http/errors.ts";

export interface Listening {
  url: string;
  /** Stops accepting, lets the requests in flight finish (each bounded by its deadline), then returns. */
  close(): Promise<void>;
  /** Cuts every connection, requests in flight too: a shutdown that gave up waiting. */
  abort(): void;
}

/** Node's default accept queue (511) overflows when thousands of hooks arrive at once, and the kernel then
 * drops connections into 1 s SYN retries; the kernel caps this at net.core.somaxconn. */
const LISTEN_BACKLOG = 8192;

/**
 * Serves a fetch handler (a Hono app's) on Node with @hono/node-server's request listener: the
 * service and the exec agent alike. Idle keep-alive connections close after 5 s, a request head
 * must arrive within 60 s and a whole request within 120 s, and heads are capped at 16 KiB.
 */
export async function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  options: { port: number; host: string },
): Promise<Listening> {
  const app = getRequestListener(fetch, {
    hostname: options.host,
    // A request Node parsed but the adapter cannot make a URL of (a Host such as "h:99999" or
    // "a@b"): the contract's error body, not an empty 400.
    errorHandler: (err) => {
      const request = err instanceof Error && err.name === "RequestError";
      const { status, body } = errorPayload(
        request ? new ApiError(400, "bad_request", `bad request: ${err.message}`) : err,
      );
      return Response.json(body, { status });
    },
  });
  const server = createServer(
    {
      keepAliveTimeout: 5_000,
      headersTimeout: 60_000,
      requestTimeout: 120_000,
      maxHeaderSize: 16 * 1024,
      noDelay: true,
    },
    app,
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
      server.closeIdleConnections();
      const sweeper = setInterval(() => server.closeIdleConnections(), 50);
      await closed;
      clearInterval(sweeper);
    },
    abort: () => server.closeAllConnections(),
  };
}
