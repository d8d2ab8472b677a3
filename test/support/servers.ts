import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type NodeServer, startNodeServer } from "../../src/entry/node.ts";
import type { NodeLogger } from "../../src/platform/node/deps.ts";
import { serviceLog } from "./test-log.ts";

export interface TestTarget {
  url: string;
  port: number;
  requests: IncomingMessage[];
  /** TCP connections accepted, requests or not: 0 shows that nothing reached the server. */
  connections(): number;
  close(): Promise<void>;
}

/**
 * A real HTTP server that records what it was sent, on 127.0.0.1 or another loopback address
 * (Linux routes all of 127.0.0.0/8 to lo: 127.0.0.2 plays "another host").
 */
export async function startTarget(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host = "127.0.0.1",
): Promise<TestTarget> {
  const requests: IncomingMessage[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  server.on("connection", () => {
    connections += 1;
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}`,
    port,
    requests,
    connections: () => connections,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/**
 * hookd's Node service on a free loopback port. Its state is its own (HOOKD_STORE=memory) unless
 * the test names a store: services of different tests never see each other's claims. Its log
 * lines go to `log` (default: test/support/test-log.ts).
 */
export async function startService(
  env: Record<string, string> = {},
  options: { log?: NodeLogger } = {},
): Promise<NodeServer> {
  return startNodeServer({
    port: 0,
    host: "127.0.0.1",
    env: { HOOKD_STORE: "memory", ...env },
    log: options.log ?? serviceLog(),
  });
}

export async function post(
  base: string,
  path: string,
  body: unknown,
  token?: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/**
 * `POST /v1/hooks/run` of an httpGet hook against `GET http://127.0.0.1:PORT/PATH` for the
 * container `name`: the everyday way tests make a run.
 */
export function runHttpGetHook(
  base: string,
  token: string,
  hook: {
    path: string;
    port: number;
    name: string;
    phase?: "postStart" | "preStop";
    timeoutSeconds?: number;
  },
): ReturnType<typeof post> {
  return post(
    base,
    "/v1/hooks/run",
    {
      phase: hook.phase ?? "postStart",
      handler: { httpGet: { path: hook.path, port: hook.port } },
      container: { name: hook.name, ip: "127.0.0.1" },
      ...(hook.timeoutSeconds !== undefined && { timeoutSeconds: hook.timeoutSeconds }),
    },
    token,
  );
}
