import { runHook } from "../../engine/run-hook.ts";
import { type HandlerKind, handlerAction, type Phase } from "../../schema/lifecycle.ts";
import type { HookResult } from "../../schema/result.ts";
import type { EcsTaskContainer, EcsTaskView } from "./api.ts";
import {
  apiForTask,
  type EcsAction,
  type EcsRunContext,
  preStopContainers,
  stopAfterFailedPostStart,
} from "./consequences.ts";
import type { ContainerHooks, TaskHooks } from "./discovery.ts";
import { runKeys } from "./run-store.ts";
import { hookTarget } from "./target.ts";

/** A hook run hookd has committed to, as the 202 answer lists it. */
export interface PlannedRun {
  phase: Phase;
  container: string;
  handler: HandlerKind;
  task: string;
  runtimeId?: string;
}

export interface TaskEventPlan {
  task: EcsTaskView;
  version: number;
  /** Undefined where the event could not lead to a hook, so the task definition was not needed. */
  hooks: TaskHooks | undefined;
  runs: PlannedRun[];
  /** Containers whose hookd labels are invalid: nothing runs for them. */
  problems: TaskHooks["problems"];
}

export type PlanOutcome = { duplicate: string } | { plan: TaskEventPlan };

export interface TaskEventOutcome {
  results: HookResult[];
  actions: EcsAction[];
}

const isStopping = (task: EcsTaskView) => task.desiredStatus === "STOPPED" && task.lastStatus === "RUNNING";
const isStartable = (task: EcsTaskView) =>
  task.desiredStatus === "RUNNING" && task.containers.some((c) => c.lastStatus === "RUNNING");

/**
 * Decides what an event runs and records it in the run store, so that a duplicate (same task
 * and detail.version) or a second event about the same container start runs nothing again.
 * Throws an EcsCallError when DescribeTaskDefinition fails; the event is then forgotten, so a
 * redelivery is handled in full.
 */
export async function planTaskEvent(
  ctx: EcsRunContext,
  task: EcsTaskView,
  version: number,
): Promise<PlanOutcome> {
  const { runs } = ctx.ecs;
  const eventKey = runKeys.event(task.taskArn, version);
  if (!(await runs.claim(eventKey))) {
    return { duplicate: `task ${task.taskArn} version ${version} was already handled` };
  }
  if (!isStartable(task) && !isStopping(task)) {
    return { plan: { task, version, hooks: undefined, runs: [], problems: [] } };
  }
  let hooks: TaskHooks;
  try {
    hooks = await ctx.ecs.taskDefinitions.hooksOf(apiForTask(ctx.ecs, task), task.taskDefinitionArn);
  } catch (err) {
    await runs.release(eventKey);
    throw err;
  }
  const planned: PlannedRun[] = [];
  if (task.desiredStatus === "RUNNING") {
    for (const c of task.containers) {
      const handler = hooks.containers.get(c.name)?.lifecycle.postStart;
      if (c.lastStatus !== "RUNNING" || !handler) continue;
      // Without a runtimeId (not reported yet), a start is known by task and container name alone.
      const started = c.runtimeId ?? "unknown-runtime";
      if (await runs.claim(runKeys.postStart(task.taskArn, c.name, started))) {
        planned.push(run("postStart", c, handlerAction(handler).kind, task));
      }
    }
  } else if (isStopping(task)) {
    for (const { container, hooks: h } of preStopContainers(task, hooks)) {
      const handler = h.lifecycle.preStop;
      if (handler && (await runs.claim(runKeys.preStop(task.taskArn, container.name)))) {
        planned.push(run("preStop", container, handlerAction(handler).kind, task));
      }
    }
  }
  return { plan: { task, version, hooks, runs: planned, problems: hooks.problems } };
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

/** Runs a plan: the postStart hooks (and, if one fails, the task's preStop then StopTask), or the preStop hooks. */
export async function runTaskEventPlan(ctx: EcsRunContext, plan: TaskEventPlan): Promise<TaskEventOutcome> {
  const { task, hooks } = plan;
  if (!hooks || plan.runs.length === 0) return { results: [], actions: [] };
  const now = ctx.engine.now ?? Date.now;
  const received = now();
  const results = await Promise.all(
    plan.runs.map((r) => {
      const container = task.containers.find((c) => c.name === r.container);
      const h = hooks.containers.get(r.container);
      const handler = h?.lifecycle[r.phase];
      if (!container || !h || !handler) throw new Error(`planned ${r.phase} of ${r.container} has no hook`);
      const notAfter = r.phase === "preStop" ? stoppingDeadline(task, h, received) : undefined;
      return runHook(r.phase, handler, hookTarget(task, container, h), ctx.engine, { notAfter });
    }),
  );
  const failed = results.find((r) => r.phase === "postStart" && r.outcome !== "succeeded");
  if (!failed) return { results, actions: [] };
  const after = await stopAfterFailedPostStart(ctx, task, hooks, failed);
  return { results: [...results, ...after.results], actions: [after.action] };
}

/**
 * ECS sent SIGTERM when it began to stop the task and sends SIGKILL stopTimeout later: preStop
 * gets what is left of that, counted from stoppingAt where the event has a plausible one.
 */
export function stoppingDeadline(task: EcsTaskView, h: ContainerHooks, now: number): number {
  const budgetMs = h.stopTimeoutSeconds * 1000;
  const since = task.stoppingAt ? Date.parse(task.stoppingAt) : Number.NaN;
  const elapsed = now - since;
  return Number.isFinite(elapsed) && elapsed >= 0 && elapsed < budgetMs ? since + budgetMs : now + budgetMs;
}
