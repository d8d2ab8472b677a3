import { z } from "zod";
import { PhaseSchema } from "./lifecycle.ts";

export const OutcomeSchema = z.enum(["succeeded", "failed", "timedOut"]);
export type Outcome = z.infer<typeof OutcomeSchema>;

/**
 * Where a hook ran, as the ECS adapter names it (contract §7's Run `source`). `stopCode` is the
 * cause of the stop a preStop belongs to, as the event gives it (detail.stopCode):
 * ServiceSchedulerInitiated, SpotInterruption, UserInitiated…
 */
export const HookSourceSchema = z.object({
  runtime: z.literal("ecs"),
  cluster: z.string(),
  task: z.string(),
  runtimeId: z.string().optional(),
  stopCode: z.string().optional(),
});
export type HookSource = z.infer<typeof HookSourceSchema>;

export const HookResultSchema = z.object({
  phase: PhaseSchema,
  handler: z.enum(["exec", "httpGet", "sleep"]),
  container: z.string(),
  outcome: OutcomeSchema,
  reason: z.enum(["FailedPostStartHook", "FailedPreStopHook"]).optional(),
  message: z.string(),
  statusCode: z.number().int().optional(),
  exitCode: z.number().int().optional(),
  output: z.string().optional(),
  warnings: z.array(z.string()),
  startedAt: z.string(),
  durationMs: z.number().int(),
  source: HookSourceSchema.optional(),
});
export type HookResult = z.infer<typeof HookResultSchema>;
