/**
 * The floor of hookd's own stack: the same relay as bench/bare-relay.ts, but as a Hono app on
 * @hono/node-server (what hookd serves with) — no validation, auth, deadline, result, log,
 * metrics or store. hookd over this is what hookd's own work costs; this over the bare relay is
 * what the framework costs. Prints `{"port":N}` on stderr; exits when its stdin closes.
 */
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { Hono } from "hono";
import { Agent, request } from "undici";

interface Body {
  handler: { httpGet: { port: number; path?: string } };
  container: { ip: string };
  timeoutSeconds?: number;
}

const agent = new Agent({ connections: null, keepAliveTimeout: 10_000 });

const app = new Hono();
app.post("/v1/hooks/run", async (c) => {
  const started = Date.now();
  let status = 0;
  let message = "";
  try {
    const body = await c.req.json<Body>();
    const { port, path = "/" } = body.handler.httpGet;
    const signal = AbortSignal.timeout((body.timeoutSeconds ?? 30) * 1000);
    const answer = await request(`http://${body.container.ip}:${port}${path}`, { dispatcher: agent, signal });
    status = answer.statusCode;
    await answer.body.text();
  } catch (err) {
    message = String(err);
  }
  return c.json({
    outcome: status >= 200 && status < 400 ? "succeeded" : "failed",
    status,
    message,
    durationMs: Date.now() - started,
  });
});

const server = createAdaptorServer({ fetch: app.fetch });
// 5,000 connections arrive at once: a deep accept queue, as hookd's listen() and the bare relay have.
server.listen({ port: 0, host: "127.0.0.1", backlog: 8192 }, () => {
  process.stderr.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
