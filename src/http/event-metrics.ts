import type { MiddlewareHandler } from "hono";
import type { EventResult, EventRuntime, Metrics } from "../platform/metrics.ts";

/**
 * Counts each event a route answers in hookd_events_total, read from the answer itself, so that
 * the routes stay as they are: 4xx invalid, 5xx failed, else ignored, duplicate or handled.
 */
export function countEvents(runtime: EventRuntime, metrics: Metrics | undefined): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (metrics) metrics.event(runtime, await resultOf(c.res));
  };
}

async function resultOf(answer: Response): Promise<EventResult> {
  if (answer.status >= 500) return "failed";
  if (answer.status >= 400) return "invalid";
  let body: { ignored?: unknown; duplicate?: unknown; result?: unknown };
  try {
    body = (await answer.clone().json()) as typeof body;
  } catch {
    return "handled";
  }
  if (body.ignored !== undefined || body.result === null) return "ignored";
  return body.duplicate !== undefined ? "duplicate" : "handled";
}
