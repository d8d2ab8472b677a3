import { z } from "zod";
import { PhaseSchema } from "./lifecycle.ts";
import { HookResultSchema, OutcomeSchema, type RunSource, RunSourceSchema } from "./result.ts";

/** Where a run came from (contract §7): defined with the result, which carries it where known. */
export { type RunSource, RunSourceSchema };

/** A recorded hook result: the result plus its id (sortable by time), time and source. */
export const RunSchema = HookResultSchema.extend({
  id: z.string(),
  time: z.string(),
  source: RunSourceSchema,
});
export type Run = z.infer<typeof RunSchema>;

/** GET /v1/runs's query (contract §3): unknown values and out-of-range limits are a 400. */
export const RunQuerySchema = z.strictObject({
  container: z.string().min(1).optional(),
  task: z.string().min(1).optional(),
  phase: PhaseSchema.optional(),
  outcome: OutcomeSchema.optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  // A run id (UUIDv7): the `next` of an earlier page. Anything else would silently restart the list.
  cursor: z.uuid({ error: "expected a run id: the `next` of an earlier page" }).optional(),
});
export type RunQuery = z.infer<typeof RunQuerySchema>;
