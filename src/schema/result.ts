import { z } from "zod";
import { PhaseSchema } from "./lifecycle.ts";

export const OutcomeSchema = z.enum(["succeeded", "failed", "timedOut"]);
export type Outcome = z.infer<typeof OutcomeSchema>;

/**
 * Where a hook ran (contract §7's Run `source`). For ECS, `stopCode` is the cause of the stop a
 * preStop belongs to, as the event gives it (detail.stopCode).
 */
export const RunSourceSchema = z.discriminatedUnion("runtime", [
  z.object({
    runtime: z.literal("ecs"),
    cluster: z.string(),
    task: z.string(),
    runtimeId: z.string().optional(),
    /** The stop's cause for a preStop (ServiceSchedulerInitiated, SpotInterruption, UserInitiated…). */
    stopCode: z.string().optional(),
  }),
  z.object({ runtime: z.literal("docker"), containerId: z.string(), name: z.string() }),
  z.object({ runtime: z.literal("api") }),
]);
export type RunSource = z.infer<typeof RunSourceSchema>;

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
  /** Set where the runtime adapter names it (the ECS adapter); a recorded Run always has one. */
  source: RunSourceSchema.optional(),
});
export type HookResult = z.infer<typeof HookResultSchema>;
