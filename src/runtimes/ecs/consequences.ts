import { type RunHookOptions, runHook } from "../../engine/run-hook.ts";
import type { EngineDeps } from "../../engine/types.ts";
import { errorText } from "../../schema/labels.ts";
import type { LifecycleHandler, Phase } from "../../schema/lifecycle.ts";
import type { HookResult } from "../../schema/result.ts";
import type { Recorder } from "../../store/recorder.ts";
import { type EcsApi, type EcsTaskContainer, type EcsTaskView, regionOfArn } from "./api.ts";
import type { EcsDeps } from "./deps.ts";
import type { ContainerHooks, TaskHooks } from "./discovery.ts";
import { runKeys } from "./run-store.ts";
import { hookSource, hookTarget } from "./target.ts";

/** What hookd did to a task, as the answer and the log show it. */
export interface EcsAction {
  type: "StopTask";
  cluster: string;
  task: string;
  reason: string;
  ok: boolean;
  error?: string;
}

export interface EcsRunContext {
  ecs: EcsDeps;
  engine: EngineDeps;
  recorder: Recorder;
  /**
   * Epoch ms by which this event's work must be done (on Lambda, the invocation's remaining
   * time): hooks end by then, and ECS calls give up.
   */
  deadline?: number | undefined;
}

/** The earlier of a hook's own deadline and the event's (either may be absent). */
export function notAfter(ctx: EcsRunContext, own?: number): number | undefined {
  if (ctx.deadline === undefined) return own;
  return own === undefined ? ctx.deadline : Math.min(own, ctx.deadline);
}

/** Aborts at the event's deadline, for the ECS calls of its work; undefined without one. */
export function deadlineSignal(ctx: EcsRunContext): AbortSignal | undefined {
  if (ctx.deadline === undefined) return undefined;
  return AbortSignal.timeout(Math.max(0, ctx.deadline - (ctx.engine.now ?? Date.now)()));
}

/** Runs one hook of a task's container and records its result as an ECS run. */
export async function runEcsHook(
  ctx: EcsRunContext,
  phase: Phase,
  handler: LifecycleHandler,
  task: EcsTaskView,
  container: EcsTaskContainer,
  hooks: ContainerHooks,
  options: Omit<RunHookOptions, "source">,
): Promise<HookResult> {
  const source = hookSource(task, container);
  const result = await runHook(phase, handler, hookTarget(task, container, hooks), ctx.engine, {
    ...options,
    source,
  });
  return (await ctx.recorder.record(result, source)).result;
}

/** ECS caps a StopTask reason at 255 characters. */
export const STOP_REASON_MAX = 255;

export function stopReason(text: string): string {
  return text.length <= STOP_REASON_MAX ? text : `${text.slice(0, STOP_REASON_MAX - 1)}…`;
}

export function failedPostStartReason(result: HookResult): string {
  return stopReason(`FailedPostStartHook: ${result.container}: ${result.message}`);
}

/** The ECS API of the task's region (its ARN names it, else its cluster's). */
export function apiForTask(ecs: EcsDeps, task: Pick<EcsTaskView, "taskArn" | "clusterArn">): EcsApi {
  return ecs.apiFor(regionOfArn(task.taskArn) ?? regionOfArn(task.clusterArn));
}

/** Running containers of the task that have a preStop hook (never one that exited by itself). */
export function preStopContainers(task: EcsTaskView, hooks: TaskHooks) {
  return task.containers.flatMap((c) => {
    const h = hooks.containers.get(c.name);
    return c.lastStatus === "RUNNING" && h?.lifecycle.preStop ? [{ container: c, hooks: h }] : [];
  });
}

/** A preStop's deadline: its own timeoutSeconds, else the container's grace period. */
export function preStopTimeoutSeconds(h: ContainerHooks): number {
  return h.lifecycle.preStop?.timeoutSeconds ?? h.graceSeconds;
}

/**
 * Every preStop of the task in parallel before hookd's own StopTask: each within its deadline,
 * and within its container's grace period from now, which the stop that follows shares.
 * `always`: run even if hookd already ran it (an explicit stop request); the run is recorded either way.
 */
export async function runPreStops(
  ctx: EcsRunContext,
  task: EcsTaskView,
  hooks: TaskHooks,
  always: boolean,
): Promise<HookResult[]> {
  const start = (ctx.engine.now ?? Date.now)();
  // Every claim first: a store that cannot answer stops the stop before any hook has run.
  const containers = preStopContainers(task, hooks);
  const claimed = await claimAll(
    ctx,
    containers.map(({ container }) =>
      runKeys.containerStop(task.taskArn, container.name, container.runtimeId),
    ),
  );
  const runs = await Promise.all(
    containers.map(async ({ container, hooks: h }, i) => {
      const handler = h.lifecycle.preStop;
      if ((!claimed[i] && !always) || !handler) return undefined;
      return runEcsHook(ctx, "preStop", handler, task, container, h, {
        timeoutSeconds: preStopTimeoutSeconds(h),
        notAfter: notAfter(ctx, start + h.graceSeconds * 1000),
        warnings: h.warnings,
      });
    }),
  );
  return runs.filter((r): r is HookResult => r !== undefined);
}

/**
 * Claims every key, or none: when the store fails part way, the claims already won are released
 * (as far as the store lets), and the error goes up so that nothing runs.
 */
export async function claimAll(ctx: EcsRunContext, keys: string[]): Promise<boolean[]> {
  const won: boolean[] = [];
  try {
    for (const key of keys) won.push(await ctx.ecs.runs.claim(key));
    return won;
  } catch (err) {
    await Promise.allSettled(keys.filter((_, i) => won[i]).map((k) => ctx.ecs.runs.release(k)));
    throw err;
  }
}

/** StopTask; a failure (after the SDK's retries) is logged and reported in the action, never thrown. */
export async function stopTask(ctx: EcsRunContext, task: EcsTaskView, reason: string): Promise<EcsAction> {
  const action: EcsAction = {
    type: "StopTask",
    cluster: task.clusterArn,
    task: task.taskArn,
    reason,
    ok: true,
  };
  try {
    await apiForTask(ctx.ecs, task).stopTask(task.clusterArn, task.taskArn, reason, deadlineSignal(ctx));
    ctx.engine.log.write({ level: "info", msg: "ecs StopTask", ...action });
    return action;
  } catch (err) {
    const failed = { ...action, ok: false, error: errorText(err) };
    ctx.engine.log.write({ level: "error", msg: "ecs StopTask failed: the task keeps running", ...failed });
    return failed;
  }
}

/** The kubelet's consequence of a failed postStart, for a whole task: its preStop hooks, then StopTask. */
export async function stopAfterFailedPostStart(
  ctx: EcsRunContext,
  task: EcsTaskView,
  hooks: TaskHooks,
  failed: HookResult,
): Promise<{ results: HookResult[]; action: EcsAction }> {
  const results = await runPreStops(ctx, task, hooks, false);
  const action = await stopTask(ctx, task, failedPostStartReason(failed));
  return { results, action };
}
