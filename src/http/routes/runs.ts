import { z } from "zod";
import { RunQuerySchema, RunSchema } from "../../schema/run.ts";
import { StoreError } from "../../store/port.ts";
import type { RouteModule } from "../deps.ts";
import { ApiError } from "../errors.ts";

export const RunPageSchema = z.object({
  runs: z.array(RunSchema),
  next: z.string().nullable().describe("the cursor of the following page, or null"),
});

/** The store could not answer: a 503 naming it, never a 500. */
async function fromStore<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof StoreError) throw new ApiError(503, "store_unavailable", err.message);
    throw err;
  }
}

export const runRoutes: RouteModule = {
  docs: [
    {
      method: "get",
      path: "/v1/runs",
      summary: "The run history (contract §7): recorded hook results, newest first, a page at a time",
      query: {
        container: "only runs of this container (its name)",
        task: "only runs of this ECS task (its ARN)",
        phase: "postStart or preStop",
        outcome: "succeeded, failed or timedOut",
        since: "only runs recorded at or after this ISO time",
        limit: "runs per page, 1-500 (50)",
        cursor: "the `next` of the previous page",
      },
      responses: {
        "200": { description: "a page of runs and the cursor of the next", schema: RunPageSchema },
        "503": { description: "the store could not answer" },
      },
    },
    {
      method: "get",
      path: "/v1/runs/{id}",
      summary: "One run by its id",
      params: { id: "the run's id (a UUIDv7)" },
      responses: {
        "200": { description: "the run", schema: RunSchema },
        "404": { description: "no such run, or it expired (HOOKD_RETENTION_HOURS)" },
        "503": { description: "the store could not answer" },
      },
    },
  ],
  register(app, deps) {
    app.get("/v1/runs", async (c) => {
      const query = RunQuerySchema.safeParse(c.req.query());
      if (!query.success) throw ApiError.invalid(query.error, "the query");
      return c.json(await fromStore(deps.store.listRuns(query.data)));
    });
    app.get("/v1/runs/:id", async (c) => {
      const id = c.req.param("id");
      const run = await fromStore(deps.store.getRun(id));
      if (!run) {
        throw new ApiError(404, "run_not_found", `no run ${id}: unknown, or older than the retention`);
      }
      return c.json(run);
    });
  },
};
