import { z } from "zod";
import { PhaseSchema } from "./lifecycle.ts";

export const OutcomeSchema = z.enum(["succeeded", "failed", "timedOut"]);
export type Outcome = z.infer<typeof OutcomeSchema>;

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
});
export type HookResult = z.infer<typeof HookResultSchema>;
