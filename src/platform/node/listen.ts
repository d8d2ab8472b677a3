import { createServer } from "node:http";
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { ApiError, errorPayload } from "../../http/errors.ts";
import type { Front } from "./hook-front.ts";

export interface Listening {
  url: string;
  /** Stops accepting, lets the requests in flight finish (each bounded by its deadline), then returns. */
  close(): Promise<void>;
}

/** Node's default accept queue (511) overflows when thousands of hooks arrive at once, and the kernel then
 * drops connections into 1 s SYN retries; the kernel caps this at net.core.somaxconn. */
const LISTEN_BACKLOG = 8192;

/**
 * Serves a fetch handler (a Hono app's) on Node: the service and the exec agent alike. A `front`
 * may take each connection before Node's http server, and hand it over for what it does not
 * serve (the service's hot path: platform/node/hook-front.ts).
 */
export async function listen(
  fetch: (request: Request) => Response | Promise<Response>,
  options: {
    port: number;
    host: string;
    front?: (handOff: (socket: Socket) => void) => Front;
  },
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
  const server = createServer(app);
  let listener: Server = server;
  let front: Front | undefined;
  if (options.front) {
    front = options.front((socket) => server.emit("connection", socket));
    listener = createNetServer({ noDelay: true }, front.onConnection);
    // The http server gets its connections from the front and never listens itself; "listening"
    // starts its per-connection bookkeeping (the head and request timeouts, closeIdleConnections)
    // as listen() would.
    server.emit("listening");
  }
  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    listener.listen({ port: options.port, host: options.host, backlog: LISTEN_BACKLOG }, resolve);
  });
  const addr = listener.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    async close() {
      // Every connection, the front's and those it handed over, is the listener's until it closes.
      const closed = new Promise<void>((resolve) => listener.close(() => resolve()));
      front?.stop();
      // A keep-alive connection turns idle once its answer is sent: sweep until all are gone.
      const sweep = () => {
        if ("closeIdleConnections" in server) server.closeIdleConnections();
      };
      sweep();
      const sweeper = setInterval(sweep, 50);
      await closed;
      clearInterval(sweeper);
      // Stops the http server's timers when it never listened itself (its close then reports
      // that it was not running, which is expected here).
      if (listener !== server) server.close(() => undefined);
    },
  };
}
