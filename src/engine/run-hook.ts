import { errorText } from "../spec/labels.ts";
import { type HandlerAction, handlerAction, type LifecycleHandler, type Phase } from "../spec/lifecycle.ts";
import type { HookResult } from "../spec/result.ts";
import { HookAbort } from "./abort.ts";
import { runExec } from "./exec.ts";
import { runHttpGet } from "./http-get.ts";
import { runSleep } from "./sleep.ts";
import {
  type EngineDeps,
  type HandlerContext,
  type HandlerOutcome,
  HookError,
  type HookTarget,
} from "./types.ts";

export interface RunHookOptions {
  /** Overrides the handler's own timeoutSeconds (the API's `timeoutSeconds`). */
  timeoutSeconds?: number | undefined;
  /** A deadline the caller already has (the grace period left), in epoch ms: the earlier one wins. */
  notAfter?: number | undefined;
}

const REASON = { postStart: "FailedPostStartHook", preStop: "FailedPreStopHook" } as const;

/**
 * Runs one lifecycle handler against a container, always within its deadline, and logs the result.
 * Written with callbacks rather than `await`: the result is made in the callback of whichever
 * comes first, the handler or the deadline's timer, two promise turns fewer on every hook.
 */
export function runHook(
  phase: Phase,
  handler: LifecycleHandler,
  target: HookTarget,
  deps: EngineDeps,
  options: RunHookOptions = {},
): Promise<HookResult> {
  // Everything below runs inside the promise's executor: whatever throws rejects the hook's
  // promise, as in an async function, and never reaches the caller's stack (a socket's handler).
  return new Promise<HookResult>((resolve, reject) => {
    const spec = handlerAction(handler);
    const now = deps.now ?? Date.now;
    const started = now();
    const timeoutSeconds =
      options.timeoutSeconds ?? handler.timeoutSeconds ?? deps.config.defaultTimeoutSeconds;
    const deadline = Math.min(started + timeoutSeconds * 1000, options.notAfter ?? Number.POSITIVE_INFINITY);
    const kind = spec.kind;
    const abort = new HookAbort();
    const ctx: HandlerContext = { target, deps, abort, deadline, describe: { what: kind } };
    let timer: ReturnType<typeof setTimeout> | undefined;
    let startedAt = "";
    let settled = false;

    const finish = (first: HandlerOutcome | "timeout") => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        // At the deadline, whatever is still running (a request, a sleep) stops: nothing outlives
        // it. A handler that finished has nothing left running: the abort is only paid when the
        // deadline won.
        if (first === "timeout") abort.abort(deadlinePassed());
        // A deadline already past when the hook came (a grace period spent) reads "after 0s".
        const seconds = Math.max(0, Math.round((deadline - started) / 100) / 10);
        const out: HandlerOutcome =
          first === "timeout"
            ? { ok: false, timedOut: true, message: `${ctx.describe.what}: timed out after ${seconds}s` }
            : first;
        const outcome = out.ok ? "succeeded" : out.timedOut ? "timedOut" : "failed";
        const result: HookResult = {
          phase,
          handler: kind,
          container: target.name ?? target.id ?? "unknown",
          outcome,
          ...(outcome !== "succeeded" && { reason: REASON[phase] }),
          message: out.message,
          ...(out.statusCode !== undefined && { statusCode: out.statusCode }),
          ...(out.exitCode !== undefined && { exitCode: out.exitCode }),
          ...(out.output !== undefined && { output: out.output }),
          warnings: out.warnings ?? [],
          startedAt,
          durationMs: Math.max(0, Math.round(now() - started)),
        };
        deps.log.write({ level: outcome === "succeeded" ? "info" : "warn", msg: "hook", ...result });
        resolve(result);
      } catch (err) {
        reject(err);
      }
    };
    // A deadline already past (a grace period spent before the hook came) starts nothing.
    const spent = deadline <= started;
    if (!spent) {
      // The handler starts first, so that its request is on the wire before the timer and the
      // result's start time are made (a handler never settles synchronously).
      dispatch(spec, ctx).then(finish, (err: unknown) =>
        finish({
          ok: false,
          message: err instanceof HookError ? err.message : `${ctx.describe.what}: ${errorText(err)}`,
        }),
      );
      timer = setTimeout(() => finish("timeout"), deadline - started);
    }
    startedAt = new Date(started).toISOString();
    if (spent) finish("timeout");
  });
}

/**
 * The abort's reason, without a stack: Node's streams read `err.stack` when a socket is destroyed
 * with it, and formatting a stack through source maps (tsx) cost ~0.1 ms per hook at the deadline,
 * when hundreds of hooks may time out together. The stack would only point here.
 */
function deadlinePassed(): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new Error("hook deadline passed");
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function dispatch(spec: HandlerAction, ctx: HandlerContext): Promise<HandlerOutcome> {
  switch (spec.kind) {
    case "httpGet":
      return runHttpGet(spec.action, ctx);
    case "exec":
      return runExec(spec.action, ctx);
    case "sleep":
      return runSleep(spec.action, ctx);
  }
}
