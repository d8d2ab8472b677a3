import { handle } from "hono/aws-lambda";
import { createApp } from "../http/app.ts";
import { createNodeDeps } from "../platform/node/deps.ts";
import { type EventHandled, handleEcsEventAndWait } from "../runtimes/ecs/intake.ts";
import { specIssues } from "../schema/issues.ts";

// Lambda freezes the process after the answer: background work is awaited before returning.
const deps = createNodeDeps(process.env);
const app = createApp({
  ...deps,
  auth: { refuse: "HOOKD_TOKEN is not set: the Lambda function refuses /v1 until it is" },
});
const httpHandler = handle(app);

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

/**
 * An ECS event from the rule: hooks and StopTask are done before returning. An ECS API failure
 * throws, so that Lambda retries the event (and sends it to the dead-letter queue at the end).
 */
async function handleRawEvent(event: EventBridgeEvent) {
  const ecs = deps.ecs;
  if (!ecs) throw new Error("hookd Lambda: no ECS client configured");
  let handled: EventHandled;
  try {
    handled = await handleEcsEventAndWait({ ecs, engine: deps.engine }, event);
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

export const handler = async (event: HttpEvent | EventBridgeEvent, context: LambdaContext) => {
  if (isEventBridgeEvent(event)) return handleRawEvent(event);
  const answer = await httpHandler(event, context);
  await deps.background.drain();
  deps.flushLog();
  return answer;
};
