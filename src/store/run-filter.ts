import type { Run, RunQuery } from "../schema/run.ts";

/** Whether a run passes GET /v1/runs's filters (for backends that filter in code). */
export function matchesQuery(run: Run, query: RunQuery): boolean {
  if (query.container !== undefined && run.container !== query.container) return false;
  if (query.task !== undefined && (run.source.runtime !== "ecs" || run.source.task !== query.task))
    return false;
  if (query.phase !== undefined && run.phase !== query.phase) return false;
  if (query.outcome !== undefined && run.outcome !== query.outcome) return false;
  if (query.since !== undefined && Date.parse(run.time) < Date.parse(query.since)) return false;
  return true;
}
