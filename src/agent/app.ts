import { Hono } from "hono";
import { bearerAuth } from "../http/auth.ts";
import { readJson } from "../http/body.ts";
import { ApiError, errorResponse } from "../http/errors.ts";
import type { InFlight } from "../platform/in-flight.ts";
import type { AgentMetrics } from "../platform/node/prom-metrics.ts";
import type { Logger } from "../platform/ports.ts";
import { VERSION } from "../version.ts";
import { type ExecAnswer, ExecRequestSchema, type Executor } from "./protocol.ts";

export interface AgentAppOptions {
  executor: Executor;
  /** HOOKD_AGENT_TOKEN; unset, /v1/exec is open (the server then listens on loopback only). */
  token: string | undefined;
  /** Execs running at once; more are answered 429 with Retry-After, never queued. */
  maxConcurrent: number;
  log: Logger;
  /** Counts execs; serves GET /metrics (behind the token, as /v1). */
  metrics?: AgentMetrics;
  /** Execs in progress, for a shutdown that abandons some to name them. */
  inFlight?: InFlight;
}

/** The agent's HTTP API (contract §4): POST /v1/exec, and GET /healthz without auth. */
export function createAgentApp(options: AgentAppOptions): Hono {
  const { executor, log, maxConcurrent } = options;
  let running = 0;
  const app = new Hono();
  app.onError((err, c) => errorResponse(c, err));
  app.notFound((c) =>
    errorResponse(c, new ApiError(404, "not_found", `no route ${c.req.method} ${c.req.path}`)),
  );
  app.get("/healthz", (c) => c.json({ status: "ok", version: VERSION, mode: executor.mode, running }));
  const auth = bearerAuth({
    tokens: options.token === undefined ? [] : [options.token],
    whenUnset: "allow",
    secret: "HOOKD_AGENT_TOKEN",
    realm: "hookd-agent",
  });
  app.use("/v1/*", auth);
  const { metrics } = options;
  if (metrics) {
    app.get("/metrics", auth, async (c) =>
      c.body(await metrics.scrape.text(), 200, { "content-type": metrics.scrape.contentType }),
    );
  }
  app.post("/v1/exec", async (c) => {
    // Taken before any await: it aborts when the caller hangs up, and then the process is killed.
    const gone = c.req.raw.signal;
    if (running >= maxConcurrent) {
      throw new ApiError(
        429,
        "too_many_execs",
        `the agent is already running ${running} execs, its limit (--max-concurrent ${maxConcurrent}); retry shortly`,
        [],
        { "Retry-After": "1" },
      );
    }
    running++;
    try {
      const req = await readJson(c, ExecRequestSchema, "the exec request");
      const started = performance.now();
      const done = options.inFlight?.begin({
        mode: executor.mode,
        ...(req.containerId !== undefined && { containerId: req.containerId }),
        command: req.command,
        startedAt: new Date().toISOString(),
      });
      const outcome = await executor.run(req, gone).finally(() => done?.());
      const answer: ExecAnswer = { ...outcome, durationMs: Math.round(performance.now() - started) };
      const result = answer.timedOut ? "timedOut" : answer.exitCode === 0 ? "succeeded" : "failed";
      metrics?.exec(executor.mode, result, answer.durationMs);
      log.write({
        level: answer.exitCode === 0 && !answer.timedOut ? "info" : "warn",
        msg: "exec",
        mode: executor.mode,
        ...(req.containerId !== undefined && { containerId: req.containerId }),
        command: req.command,
        exitCode: answer.exitCode,
        timedOut: answer.timedOut,
        ...(gone.aborted && { callerGone: true }),
        durationMs: answer.durationMs,
      });
      return c.json(answer);
    } finally {
      running--;
    }
  });
  return app;
}
