import type { Context } from "hono";
import { z } from "zod";
import { raceDeadline } from "../../engine/deadline.ts";
import { EcsCallError } from "../../runtimes/ecs/api.ts";
import type { EcsRunContext } from "../../runtimes/ecs/consequences.ts";
import type { EcsDeps } from "../../runtimes/ecs/deps.ts";
import { readEcsEvent, TaskStateChangeEventSchema } from "../../runtimes/ecs/event.ts";
import { stopTaskGracefully } from "../../runtimes/ecs/graceful-stop.ts";
import {
  claimTaskEvent,
  type PlanOutcome,
  planClaimedEvent,
  type planTaskEvent,
  releasePlan,
  runTaskEventPlan,
} from "../../runtimes/ecs/handle-event.ts";
import {
  AcceptedAnswerSchema,
  DoneAnswerSchema,
  handleEcsEventAndWait,
  IgnoredAnswerSchema,
  logPlan,
  planNotes,
} from "../../runtimes/ecs/intake.ts";
import { errorText } from "../../schema/labels.ts";
import { StoreError } from "../../store/port.ts";
import { waitUntilOf } from "../background.ts";
import { readJson } from "../body.ts";
import type { AppDeps, RouteModule } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { countEvents } from "../event-metrics.ts";

export const StopTaskRequestSchema = z.strictObject({
  cluster: z.string().min(1),
  task: z.string().min(1),
  reason: z.string().min(1).optional(),
});

/**
 * How long the 202 path waits for DescribeTaskDefinition (cached, so usually no wait at all)
 * before it answers anyway: EventBridge API destinations give up after 5 s.
 */
export const PLAN_BUDGET_MS = 800;

function ecsOf(deps: AppDeps): EcsDeps {
  if (!deps.ecs) throw new ApiError(503, "ecs_not_configured", "this hookd has no ECS client configured");
  return deps.ecs;
}

/**
 * ECS could not be asked (after the SDK's retries): a 502, or a 504 naming the call when it did not answer in time; the store could not claim: a 503
 * (nothing ran). Either way EventBridge retries the event.
 */
function upstream(err: unknown): never {
  if (err instanceof EcsCallError) {
    throw err.timedOut
      ? new ApiError(504, "ecs_timeout", err.message)
      : new ApiError(502, "ecs_error", err.message);
  }
  if (err instanceof StoreError) throw new ApiError(503, "store_unavailable", `${err.message}: nothing ran`);
  throw err;
}

/** An event hookd could not act on (ECS could not be asked): logged whole, so that it can be replayed. */
function logNotHandled(ctx: EcsRunContext, event: unknown, err: unknown): void {
  ctx.engine.log.write({
    level: "error",
    msg: "ecs event not handled: redeliver it (hookd did not record it, so a redelivery is handled in full)",
    error: errorText(err),
    event,
  });
}

export const ecsRoutes: RouteModule = {
  docs: [
    {
      method: "post",
      path: "/v1/events/ecs",
      summary:
        "An EventBridge ECS Task State Change event: plans the hooks, answers 202, runs them in the background",
      body: TaskStateChangeEventSchema,
      query: { wait: "true: run the hooks before answering, and answer 200 {results, actions}" },
      responses: {
        "200": {
          description: "another event type (ignored), or with ?wait=true the results and actions",
          schema: z.union([IgnoredAnswerSchema, DoneAnswerSchema]),
        },
        "202": {
          description: "the planned hook runs; they run in the background",
          schema: AcceptedAnswerSchema,
        },
        "502": {
          description: "ECS could not be asked (the event is not recorded: a retry is handled in full)",
        },
        "503": {
          description: "the store could not claim the event: nothing ran (a retry is handled in full)",
        },
        "504": { description: "ECS did not answer in time; the message names the call" },
      },
    },
    {
      method: "post",
      path: "/v1/ecs/tasks/stop",
      summary: "The graceful stop for deploy scripts: every preStop of the task, then StopTask",
      body: StopTaskRequestSchema,
      responses: {
        "200": { description: "the preStop results and the StopTask action", schema: DoneAnswerSchema },
        "404": { description: "ECS does not know the task" },
        "502": { description: "DescribeTasks or DescribeTaskDefinition failed: nothing ran" },
        "503": { description: "the store could not claim the task's stops: nothing ran" },
        "504": { description: "DescribeTasks or DescribeTaskDefinition did not answer in time: nothing ran" },
      },
    },
  ],
  register(app, deps) {
    app.use("/v1/events/ecs", countEvents("ecs", deps.metrics));
    app.post("/v1/events/ecs", async (c) => {
      const ctx: EcsRunContext = { ecs: ecsOf(deps), engine: deps.engine, recorder: deps.recorder };
      const value = await readJson(c, z.unknown(), "the event");
      if (c.req.query("wait") === "true") {
        const handled = await handleEcsEventAndWait(ctx, value).catch((err: unknown) => {
          logNotHandled(ctx, value, err);
          return upstream(err);
        });
        if (handled.kind === "invalid") throw ApiError.invalid(handled.error, "the event");
        if (handled.kind === "ignored") return c.json({ ignored: handled.why });
        return c.json(handled.answer);
      }
      const read = readEcsEvent(value);
      if (read.kind === "invalid") throw ApiError.invalid(read.error, "the event");
      if (read.kind === "ignored") return c.json({ ignored: read.why });
      return acceptInBackground(c, deps, ctx, value, read.task, read.version);
    });

    app.post("/v1/ecs/tasks/stop", async (c) => {
      const ctx: EcsRunContext = { ecs: ecsOf(deps), engine: deps.engine, recorder: deps.recorder };
      const request = await readJson(c, StopTaskRequestSchema);
      const outcome = await stopTaskGracefully(ctx, request).catch((err: unknown) => {
        ctx.engine.log.write({
          level: "error",
          msg: "ecs graceful stop failed: nothing ran",
          ...request,
          error: errorText(err),
        });
        return upstream(err);
      });
      if (!outcome.found) throw new ApiError(404, "task_not_found", outcome.message);
      return c.json({ results: outcome.results, actions: outcome.actions });
    });
  },
};

async function acceptInBackground(
  c: Context,
  deps: AppDeps,
  ctx: EcsRunContext,
  event: unknown,
  task: Parameters<typeof planTaskEvent>[1],
  version: number,
): Promise<Response> {
  // The claim comes first, outside the planning budget: a store that cannot answer is a 503 with
  // nothing run, never a 202 whose hooks are then lost.
  let duplicate: string | undefined;
  try {
    duplicate = await claimTaskEvent(ctx, task, version);
  } catch (err) {
    logNotHandled(ctx, event, err);
    return upstream(err);
  }
  if (duplicate) return c.json({ accepted: [], duplicate }, 202);
  const planning = planClaimedEvent(ctx, task, version);
  // Whatever fails after the answer has gone is logged with the event, so it is never silently lost.
  const lost = (err: unknown) => logNotHandled(ctx, event, err);
  const settled = planning.then(
    () => undefined,
    () => undefined,
  );
  if ((await raceDeadline(settled, PLAN_BUDGET_MS)) === "deadline") {
    const work = planning.then(async (outcome) => {
      if ("duplicate" in outcome) return;
      logPlan(ctx, outcome.plan);
      await runTaskEventPlan(ctx, outcome.plan);
    }, lost);
    // Abandoned before it was planned: only the event was claimed.
    const release = () => releasePlan(ctx, { task, version, runs: [] });
    deps.background.run(work, waitUntilOf(c), release);
    return c.json(
      {
        accepted: [],
        pending: `DescribeTaskDefinition ${task.taskDefinitionArn} is slow: the hooks are planned and run when it answers`,
      },
      202,
    );
  }
  let outcome: PlanOutcome;
  try {
    outcome = await planning;
  } catch (err) {
    lost(err);
    return upstream(err);
  }
  if ("duplicate" in outcome) return c.json({ accepted: [], duplicate: outcome.duplicate }, 202);
  logPlan(ctx, outcome.plan);
  const running = runTaskEventPlan(ctx, outcome.plan).catch((err: unknown) => {
    ctx.engine.log.write({
      level: "error",
      msg: "ecs hooks failed to run",
      task: task.taskArn,
      error: errorText(err),
    });
  });
  const plan = outcome.plan;
  deps.background.run(running, waitUntilOf(c), () => releasePlan(ctx, plan));
  return c.json({ accepted: outcome.plan.runs, ...planNotes(outcome.plan) }, 202);
}
