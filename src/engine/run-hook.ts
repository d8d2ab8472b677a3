import { errorText } from "../schema/labels.ts";
import { type HandlerAction, handlerAction, type LifecycleHandler, type Phase } from "../schema/lifecycle.ts";
import type { HookResult, RunSource } from "../schema/result.ts";
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
  /** Where the hook runs, as the runtime adapter names it: kept in the result and its log line. */
  source?: RunSource | undefined;
  /** Found before the run (a bad label that was ignored): they lead the result's warnings. */
  warnings?: readonly string[] | undefined;
}

/** The result's `reason` when a hook did not succeed, as Kubernetes names the event. */
export const FAILURE_REASON = { postStart: "FailedPostStartHook", preStop: "FailedPreStopHook" } as const;

/**
 * Runs one lifecycle handler against a container, always within its deadline. The caller hands
 * the result to the recorder (store/recorder.ts), which logs and records it.
 * At the deadline the hook's signal aborts: whatever the handler started (a request, an exec)
 * stops, and the outcome is timedOut.
 */
export async function runHook(
  phase: Phase,
  handler: LifecycleHandler,
  target: HookTarget,
  deps: EngineDeps,
  options: RunHookOptions = {},
): Promise<HookResult> {
  const spec = handlerAction(handler);
  const now = deps.now ?? Date.now;
  const started = now();
  const timeoutSeconds =
    options.timeoutSeconds ?? handler.timeoutSeconds ?? deps.config.defaultTimeoutSeconds;
  const deadline = Math.min(started + timeoutSeconds * 1000, options.notAfter ?? Number.POSITIVE_INFINITY);
  const controller = new AbortController();
  const ctx: HandlerContext = {
    target,
    deps,
    signal: controller.signal,
    deadline,
    describe: { what: spec.kind },
  };
  const done = deps.inFlight?.begin({
    phase,
    handler: spec.kind,
    container: target.name ?? target.id ?? "unknown",
    startedAt: new Date(started).toISOString(),
  });
  const first = await withinDeadline(spec, ctx, deadline - started);
  done?.();
  if (first === "timeout") controller.abort(new Error("hook deadline passed"));
  // A deadline already past when the hook came (a grace period spent) reads "after 0s".
  const seconds = Math.max(0, Math.round((deadline - started) / 100) / 10);
  const out: HandlerOutcome =
    first === "timeout"
      ? { ok: false, timedOut: true, message: `${ctx.describe.what}: timed out after ${seconds}s` }
      : first;
  const outcome = out.ok ? "succeeded" : out.timedOut ? "timedOut" : "failed";
  const result: HookResult = {
    phase,
    handler: spec.kind,
    container: target.name ?? target.id ?? "unknown",
    outcome,
    ...(outcome !== "succeeded" && { reason: FAILURE_REASON[phase] }),
    message: out.message,
    ...(out.statusCode !== undefined && { statusCode: out.statusCode }),
    ...(out.exitCode !== undefined && { exitCode: out.exitCode }),
    ...(out.output !== undefined && { output: out.output }),
    warnings: [...(options.warnings ?? []), ...(out.warnings ?? [])],
    startedAt: new Date(started).toISOString(),
    durationMs: Math.max(0, Math.round(now() - started)),
    ...(options.source && { source: options.source }),
  };
  deps.metrics?.hookRun(result);
  return result;
}

/** The handler's outcome, or "timeout" when `ms` passes first (at once when none is left). */
async function withinDeadline(
  spec: HandlerAction,
  ctx: HandlerContext,
  ms: number,
): Promise<HandlerOutcome | "timeout"> {
  if (ms <= 0) return "timeout";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), ms);
  });
  try {
    return await Promise.race([dispatch(spec, ctx).catch((err: unknown) => failure(err, ctx)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function failure(err: unknown, ctx: HandlerContext): HandlerOutcome {
  return {
    ok: false,
    message: err instanceof HookError ? err.message : `${ctx.describe.what}: ${errorText(err)}`,
  };
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
