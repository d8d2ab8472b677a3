import { Agent, type Dispatcher } from "undici";
import type { Child } from "./processes.ts";

export const TOKEN = "bench-token";

/**
 * The benchmark's client: undici with keep-alive (not fetch, whose own overhead would blur the
 * ratios). `connections: null` lets the concurrency benchmark open one socket per request.
 */
export function createClient(): Agent {
  return new Agent({
    connections: null,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: 0,
    bodyTimeout: 0,
  });
}

export interface Answer {
  status: number;
  text: string;
  ms: number;
}

/** One request, timed from the call until the whole body is in. */
export async function timed(client: Dispatcher, options: Dispatcher.RequestOptions): Promise<Answer> {
  const t0 = performance.now();
  const res = await client.request(options);
  const text = await res.body.text();
  return { status: res.statusCode, text, ms: performance.now() - t0 };
}

export function get(origin: string, path: string): Dispatcher.RequestOptions {
  return { origin, path, method: "GET" };
}

export function hookBody(targetPort: number, path: string, timeoutSeconds?: number): string {
  return JSON.stringify({
    phase: "postStart",
    handler: { httpGet: { port: targetPort, path } },
    container: { name: "bench", ip: "127.0.0.1" },
    ...(timeoutSeconds !== undefined && { timeoutSeconds }),
  });
}

export function postHook(origin: string, body: string): Dispatcher.RequestOptions {
  return {
    origin,
    path: "/v1/hooks/run",
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    body,
  };
}

export const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : String(n));

/** Brings a fresh service to a steady state (JIT, first connections) before it is measured. */
export async function warmUp(service: Child, target: Child): Promise<void> {
  const client = createClient();
  const body = hookBody(target.port, "/ok");
  for (let i = 0; i < 20; i++) {
    await Promise.all(Array.from({ length: 10 }, () => timed(client, postHook(service.origin, body))));
  }
  await client.close();
}
