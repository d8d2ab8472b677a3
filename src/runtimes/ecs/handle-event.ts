import { type HandlerKind, handlerAction, type Phase } from "../../schema/lifecycle.ts";
import type { HookResult } from "../../schema/result.ts";
import type { EcsTaskContainer, EcsTaskView } from "./api.ts";
import {
  apiForTask,
  claimAll,
  type EcsAction,
  type EcsRunContext,
  notAfter,
  preStopContainers,
  preStopTimeoutSeconds,
  runEcsHook,
  stopAfterFailedPostStart,
} from "./consequences.ts";
import type { TaskHooks } from "./discovery.ts";
import { runKeys } from "./run-store.ts";

/** A hook run hookd has committed to, as the 202 answer lists it. */
export interface PlannedRun {
  phase: Phase;
  container: string;
  handler: HandlerKind;
  task: string;
  runtimeId?: string;
}

/** A hook hookd will not run for this event, and why: the answer and the log say so. */
export interface SkippedRun extends PlannedRun {
  reason: string;
}

export interface TaskEventPlan {
  task: EcsTaskView;
  version: number;
  /** Undefined where the event could not lead to a hook, so the task definition was not needed. */
  hooks: TaskHooks | undefined;
  runs: PlannedRun[];
  /** preStop hooks that came too late: ECS had already signalled the containers. */
  skipped: SkippedRun[];
  /** Containers whose hookd labels are invalid: nothing runs for them. */
  problems: TaskHooks["problems"];
}

export type PlanOutcome = { duplicate: string } | { plan: TaskEventPlan };

export interface TaskEventOutcome {
  results: HookResult[];
  actions: EcsAction[];
}

/**
 * Where a task stands in its stop. ECS signals the containers when the task enters STOPPING.
 * Before that — RUNNING with desiredStatus STOPPED, then DEACTIVATING while a load balancer
 * drains the task — preStop still runs first (for a stop without a drain, ECS signals at once
 * and preStop races the signal). From STOPPING on, a preStop would only follow SIGTERM.
 */
type StopStage = "notStopping" | "beforeSignal" | "signalled";

const BEFORE_SIGNAL = new Set(["RUNNING", "DEACTIVATING"]);
const SIGNALLED = new Set(["STOPPING", "DEPROVISIONING", "STOPPED", "DELETED"]);

function stopStage(task: EcsTaskView): StopStage {
  if (task.desiredStatus !== "STOPPED") return "notStopping";
  if (BEFORE_SIGNAL.has(task.lastStatus)) return "beforeSignal";
  return SIGNALLED.has(task.lastStatus) ? "signalled" : "notStopping";
}

const hasRunningContainer = (task: EcsTaskView) => task.containers.some((c) => c.lastStatus === "RUNNING");
const isStartable = (task: EcsTaskView) => task.desiredStatus === "RUNNING" && hasRunningContainer(task);

/** Whether the event can run a hook, or must say that one is skipped: only then is ECS asked. */
function mayConcernHooks(task: EcsTaskView): boolean {
  const stage = stopStage(task);
  return (
    isStartable(task) || stage === "beforeSignal" || (stage === "signalled" && hasRunningContainer(task))
  );
}

/**
 * Decides what an event runs and claims it in the store, so that a duplicate (same task and
 * detail.version) or a second event about the same container start or stop runs nothing again.
 * Throws an EcsCallError when DescribeTaskDefinition fails, a StoreError when the store cannot
 * claim; the event is then forgotten, so a redelivery is handled in full.
 */
export async function planTaskEvent(
  ctx: EcsRunContext,
  task: EcsTaskView,
  version: number,
): Promise<PlanOutcome> {
  const duplicate = await claimTaskEvent(ctx, task, version);
  return duplicate ? { duplicate } : planClaimedEvent(ctx, task, version);
}

/**
 * Claims the event (task ARN and detail.version): undefined when this call won it, else why it
 * is a duplicate. Throws a StoreError when the store cannot answer (nothing may run then).
 */
export async function claimTaskEvent(
  ctx: EcsRunContext,
  task: EcsTaskView,
  version: number,
): Promise<string | undefined> {
  if (await ctx.ecs.runs.claim(runKeys.event(task.taskArn, version))) return undefined;
  return `task ${task.taskArn} version ${version} was already handled`;
}

/** The rest of planTaskEvent, once the event is claimed; a failure releases the event's claim. */
export async function planClaimedEvent(
  ctx: EcsRunContext,
  task: EcsTaskView,
  version: number,
): Promise<PlanOutcome> {
  const eventKey = runKeys.event(task.taskArn, version);
  if (!mayConcernHooks(task)) {
    return { plan: { task, version, hooks: undefined, runs: [], skipped: [], problems: [] } };
  }
  try {
    const hooks = await ctx.ecs.taskDefinitions.hooksOf(apiForTask(ctx.ecs, task), task.taskDefinitionArn);
    const plan: TaskEventPlan = { task, version, hooks, runs: [], skipped: [], problems: hooks.problems };
    if (task.desiredStatus === "RUNNING") plan.runs = await planStarts(ctx, task, hooks);
    else await planStops(ctx, plan, hooks);
    return { plan };
  } catch (err) {
    // ECS or the store failed: forget the event too, so that a redelivery is handled in full.
    await ctx.ecs.runs.release(eventKey).catch(() => undefined);
    throw err;
  }
}

/** postStart of every container that is RUNNING, once per container start. */
async function planStarts(ctx: EcsRunContext, task: EcsTaskView, hooks: TaskHooks): Promise<PlannedRun[]> {
  const candidates = task.containers.flatMap((c) => {
    const handler = hooks.containers.get(c.name)?.lifecycle.postStart;
    if (c.lastStatus !== "RUNNING" || !handler) return [];
    const key = runKeys.postStart(task.taskArn, c.name, c.runtimeId);
    return [{ key, run: run("postStart", c, handlerAction(handler).kind, task) }];
  });
  const won = await claimAll(
    ctx,
    candidates.map((c) => c.key),
  );
  return candidates.filter((_, i) => won[i]).map((c) => c.run);
}

/**
 * preStop of every running container, once per container stop: the first event of the stop
 * decides. Before the signal it runs; once ECS has signalled, it is skipped, and the stop is
 * still recorded, so that a late event of the same stop (EventBridge does not keep order) does
 * not run it after SIGTERM either.
 */
async function planStops(ctx: EcsRunContext, plan: TaskEventPlan, hooks: TaskHooks): Promise<void> {
  const { task } = plan;
  const stage = stopStage(task);
  const candidates = preStopContainers(task, hooks).flatMap(({ container, hooks: h }) => {
    const handler = h.lifecycle.preStop;
    if (!handler) return [];
    const key = runKeys.containerStop(task.taskArn, container.name, container.runtimeId);
    return [{ key, run: run("preStop", container, handlerAction(handler).kind, task) }];
  });
  const won = await claimAll(
    ctx,
    candidates.map((c) => c.key),
  );
  for (const [i, { run: planned }] of candidates.entries()) {
    if (!won[i]) continue;
    if (stage === "beforeSignal") plan.runs.push(planned);
    else plan.skipped.push({ ...planned, reason: tooLate(task) });
  }
}

function tooLate(task: EcsTaskView): string {
  return `the task is already ${task.lastStatus}: ECS has sent the stop signal, and preStop runs before it or not at all (hookd got no earlier event of this stop)`;
}

function run(phase: Phase, c: EcsTaskContainer, handler: HandlerKind, task: EcsTaskView): PlannedRun {
  return {
    phase,
    container: c.name,
    handler,
    task: task.taskArn,
    ...(c.runtimeId !== undefined && { runtimeId: c.runtimeId }),
  };
}

/**
 * Forgets what a plan claimed, so that a redelivery of its event runs it: called when the work
 * was abandoned (a shutdown that could not wait for it).
 */
export async function releasePlan(
  ctx: EcsRunContext,
  plan: Pick<TaskEventPlan, "task" | "version" | "runs">,
) {
  const { runs } = ctx.ecs;
  await runs.release(runKeys.event(plan.task.taskArn, plan.version));
  for (const r of plan.runs) {
    await runs.release(
      r.phase === "postStart"
        ? runKeys.postStart(r.task, r.container, r.runtimeId)
        : runKeys.containerStop(r.task, r.container, r.runtimeId),
    );
  }
}

/** Runs a plan: the postStart hooks (and, if one fails, the task's preStop then StopTask), or the preStop hooks. */
export async function runTaskEventPlan(ctx: EcsRunContext, plan: TaskEventPlan): Promise<TaskEventOutcome> {
  const { task, hooks } = plan;
  if (!hooks || plan.runs.length === 0) return { results: [], actions: [] };
  const results = await Promise.all(
    plan.runs.map((r) => {
      const container = task.containers.find((c) => c.name === r.container);
      const h = hooks.containers.get(r.container);
      const handler = h?.lifecycle[r.phase];
      if (!container || !h || !handler) throw new Error(`planned ${r.phase} of ${r.container} has no hook`);
      // As the kubelet bounds it: a preStop's own deadline, else the grace period. ECS does not wait for it.
      const timeoutSeconds = r.phase === "preStop" ? preStopTimeoutSeconds(h) : undefined;
      return runEcsHook(ctx, r.phase, handler, task, container, h, {
        timeoutSeconds,
        notAfter: notAfter(ctx),
        warnings: h.warnings,
      });
    }),
  );
  const failed = results.find((r) => r.phase === "postStart" && r.outcome !== "succeeded");
  if (!failed) return { results, actions: [] };
  const after = await stopAfterFailedPostStart(ctx, task, hooks, failed);
  return { results: [...results, ...after.results], actions: [after.action] };
}
