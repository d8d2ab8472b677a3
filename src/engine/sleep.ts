import type { SleepAction } from "../schema/lifecycle.ts";
import type { HandlerContext, HandlerOutcome } from "./types.ts";

export function runSleep(action: SleepAction, ctx: HandlerContext): Promise<HandlerOutcome> {
  ctx.describe.what = `sleep ${action.seconds}s`;
  const ms = action.seconds * 1000;
  // A sleep that outlasts the deadline needs no timer: the deadline ends it, and runHook reports
  // timedOut. (Nor could it have one: Node runs a timer of more than 2^31 - 1 ms at once.) A
  // shorter one ends before the deadline's timer fires, so nothing is left to cancel then.
  if (ms >= ctx.deadline - (ctx.deps.now ?? Date.now)()) return new Promise(() => undefined);
  return new Promise((resolve) =>
    setTimeout(() => resolve({ ok: true, message: `sleep ${action.seconds}s` }), ms),
  );
}
