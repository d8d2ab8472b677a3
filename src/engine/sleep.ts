import type { SleepAction } from "../spec/lifecycle.ts";
import type { HandlerContext, HandlerOutcome } from "./types.ts";

export function runSleep(action: SleepAction, ctx: HandlerContext): Promise<HandlerOutcome> {
  ctx.describe.what = `sleep ${action.seconds}s`;
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      resolve({ ok: true, message: `sleep ${action.seconds}s` });
    };
    const timer = setTimeout(done, action.seconds * 1000);
    // The dispatcher reports the timeout; this only makes sure no timer outlives the deadline.
    ctx.abort.onAbort(() => clearTimeout(timer));
  });
}
