import { handle } from "hono/aws-lambda";
import { createApp } from "../http/app.ts";
import { createNodeDeps } from "../platform/node/deps.ts";
import { type EventHandled, handleEcsEventAndWait } from "../runtimes/ecs/intake.ts";
import { specIssues } from "../schema/issues.ts";
import { type FlushReport, flushOutbox } from "../store/flush.ts";

// Lambda freezes the process after the answer: background work is awaited before returning.
const deps = createNodeDeps(process.env, { runtime: "lambda" });
const app = createApp({
  ...deps,
  auth: { refuse: "HOOKD_TOKEN is not set: the Lambda function refuses /v1 until it is" },
});
const httpHandler = handle(app);
// The DynamoDB store loads the AWS SDK at its first call (src/store/lazy.ts). On Lambda that is
// done here, in the init phase, so that the first event's answer does not wait for it.
if ((deps.config.store?.kind ?? "dynamodb") === "dynamodb") await import("../store/dynamodb.ts");

type HttpEvent = Parameters<typeof httpHandler>[0];
type LambdaContext = Parameters<typeof httpHandler>[1];

/** What an EventBridge rule sends when it targets the function directly (no HTTP, no token: IAM decides). */
export interface EventBridgeEvent {
  "detail-type": string;
  source: string;
  detail: unknown;
}

function isEventBridgeEvent(event: unknown): event is EventBridgeEvent {
  return typeof event === "object" && event !== null && "detail-type" in event && "source" in event;
}

/** What the CDK app's one-minute schedule sends: deliver the results waiting in the outbox. */
export const FLUSH_OUTBOX_EVENT = { hookd: "flush-outbox" } as const;

function isFlushEvent(event: unknown): event is typeof FLUSH_OUTBOX_EVENT {
  return (
    typeof event === "object" &&
    event !== null &&
    "hookd" in event &&
    event.hookd === FLUSH_OUTBOX_EVENT.hookd
  );
}

/**
 * Never throws: a failed flush is logged and the next minute's tries again (a throw would send
 * the schedule's event to the dead-letter queue meant for ECS events).
 */
async function handleFlush(): Promise<FlushReport | { error: string }> {
  try {
    const report = await flushOutbox(deps.store, deps.config, deps.engine.log);
    deps.engine.log.write({ level: "info", msg: "results outbox flushed", ...report });
    return report;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    deps.engine.log.write({ level: "error", msg: "results outbox flush failed", error: message });
    return { error: message };
  } finally {
    deps.flushLog();
  }
}

/**
 * An ECS event from the rule: hooks and StopTask are done before returning. An ECS API failure
 * throws, so that Lambda retries the event (and sends it to the dead-letter queue at the end).
 */
async function handleRawEvent(event: EventBridgeEvent, context: LambdaContext) {
  const ecs = deps.ecs;
  if (!ecs) throw new Error("hookd Lambda: no ECS client configured");
  let handled: EventHandled;
  try {
    handled = await handleEcsEventAndWait(
      { ecs, engine: deps.engine, recorder: deps.recorder, deadline: deadlineOf(context) },
      event,
    );
  } catch (err) {
    deps.metrics?.event("ecs", "failed");
    throw err;
  } finally {
    await deps.background.drain();
    deps.flushLog();
  }
  deps.metrics?.event(
    "ecs",
    handled.kind === "done" ? (handled.answer.duplicate ? "duplicate" : "handled") : handled.kind,
  );
  if (handled.kind === "done") return handled.answer;
  if (handled.kind === "ignored") return { ignored: handled.why };
  // A malformed event cannot succeed on a retry: it is logged and answered, not thrown.
  const issues = specIssues(handled.error);
  deps.engine.log.write({ level: "error", msg: "ecs event is invalid", issues, event });
  return { error: { code: "invalid_request", message: "the event is invalid", issues } };
}

/** Time kept back from the invocation's end, to log and answer before Lambda stops it. */
const LAMBDA_MARGIN_MS = 1_000;

/** Epoch ms by which an event's work must end: the invocation's remaining time bounds it. */
function deadlineOf(context: LambdaContext): number | undefined {
  const left =
    typeof context?.getRemainingTimeInMillis === "function" ? context.getRemainingTimeInMillis() : undefined;
  return left === undefined ? undefined : Date.now() + Math.max(0, left - LAMBDA_MARGIN_MS);
}

export const handler = async (
  event: HttpEvent | EventBridgeEvent | typeof FLUSH_OUTBOX_EVENT,
  context: LambdaContext,
) => {
  if (isFlushEvent(event)) return handleFlush();
  if (isEventBridgeEvent(event)) return handleRawEvent(event, context);
  const answer = await httpHandler(event, context);
  // The 202 path's background work: within the invocation's time, else abandoned (claims released).
  const deadline = deadlineOf(context);
  if (!(await deps.background.drain(deadline === undefined ? undefined : deadline - Date.now()))) {
    deps.engine.log.write({
      level: "error",
      msg: "background work abandoned: the Lambda invocation's time ran out",
      runs: deps.inFlight.list(),
    });
    await deps.background.abandon();
  }
  deps.flushLog();
  return answer;
};
