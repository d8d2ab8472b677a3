import { z } from "zod";
import { PhaseSchema } from "../../schema/lifecycle.ts";
import { HookResultSchema } from "../../schema/result.ts";
import type { EcsRunContext } from "./consequences.ts";
import { readEcsEvent } from "./event.ts";
import { planTaskEvent, runTaskEventPlan, type TaskEventPlan } from "./handle-event.ts";

export const PlannedRunSchema = z.object({
  phase: PhaseSchema,
  container: z.string(),
  handler: z.enum(["exec", "httpGet", "sleep"]),
  task: z.string(),
  runtimeId: z.string().optional(),
});

export const EcsActionSchema = z.object({
  type: z.literal("StopTask"),
  cluster: z.string(),
  task: z.string(),
  reason: z.string(),
  ok: z.boolean(),
  error: z.string().optional(),
});

const ProblemsSchema = z.array(z.object({ container: z.string(), message: z.string() }));

/** preStop hooks not run because ECS had already signalled the containers, each with why. */
const SkippedSchema = z.array(PlannedRunSchema.extend({ reason: z.string() }));

export const AcceptedAnswerSchema = z.object({
  accepted: z.array(PlannedRunSchema),
  skipped: SkippedSchema.optional(),
  duplicate: z.string().optional(),
  pending: z.string().optional(),
  problems: ProblemsSchema.optional(),
});

export const DoneAnswerSchema = z.object({
  results: z.array(HookResultSchema),
  actions: z.array(EcsActionSchema),
  skipped: SkippedSchema.optional(),
  duplicate: z.string().optional(),
  problems: ProblemsSchema.optional(),
});
export type DoneAnswer = z.infer<typeof DoneAnswerSchema>;

export const IgnoredAnswerSchema = z.object({ ignored: z.string() });

export type EventHandled =
  | { kind: "ignored"; why: string }
  | { kind: "invalid"; error: z.ZodError }
  | { kind: "done"; answer: DoneAnswer };

/** What the answer says besides the runs: skipped hooks and invalid labels, where there are any. */
export function planNotes(plan: TaskEventPlan): {
  skipped?: TaskEventPlan["skipped"];
  problems?: TaskEventPlan["problems"];
} {
  return {
    ...(plan.skipped.length > 0 && { skipped: plan.skipped }),
    ...(plan.problems.length > 0 && { problems: plan.problems }),
  };
}

/** One line per event acted on, so that what hookd decided can be traced to the event. */
export function logPlan(ctx: EcsRunContext, plan: TaskEventPlan): void {
  for (const p of plan.problems) {
    ctx.engine.log.write({ level: "error", msg: "ecs invalid hookd label", task: plan.task.taskArn, ...p });
  }
  ctx.engine.log.write({
    level: "info",
    msg: "ecs event",
    task: plan.task.taskArn,
    version: plan.version,
    desiredStatus: plan.task.desiredStatus,
    lastStatus: plan.task.lastStatus,
    ...(plan.task.stopCode !== undefined && { stopCode: plan.task.stopCode }),
    planned: plan.runs.map((r) => `${r.phase} ${r.container}`),
  });
  for (const s of plan.skipped) {
    ctx.engine.log.write({
      level: "warn",
      msg: "ecs preStop skipped",
      task: s.task,
      container: s.container,
      runtimeId: s.runtimeId,
      lastStatus: plan.task.lastStatus,
      stopCode: plan.task.stopCode,
      reason: s.reason,
    });
  }
}

/**
 * An event handled to the end (`?wait=true`, and the Lambda function the rule targets directly).
 * Throws an EcsCallError when ECS cannot be asked, so the caller can fail and be retried.
 */
export async function handleEcsEventAndWait(ctx: EcsRunContext, value: unknown): Promise<EventHandled> {
  const read = readEcsEvent(value);
  if (read.kind !== "taskStateChange") return read;
  const planned = await planTaskEvent(ctx, read.task, read.version);
  if ("duplicate" in planned) {
    return { kind: "done", answer: { results: [], actions: [], duplicate: planned.duplicate } };
  }
  logPlan(ctx, planned.plan);
  const outcome = await runTaskEventPlan(ctx, planned.plan);
  return { kind: "done", answer: { ...outcome, ...planNotes(planned.plan) } };
}
