import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVER_ERROR } from "../support/fake-ecs.ts";
import { startTarget, type TestTarget } from "../support/servers.ts";
import { until } from "../support/wait.ts";
import { type EcsHarness, lifecycleLabel, startEcsHarness, taskOf } from "./harness.ts";

const ATTEMPT_SECONDS = 1;
/** Contract §8: an ECS route answers within 3 × HOOKD_ECS_TIMEOUT_SECONDS + 5 s. */
const ROUTE_BOUND_MS = (3 * ATTEMPT_SECONDS + 5) * 1000;

/** Fault injection: an ECS endpoint that accepts connections and never answers. */
describe("ECS calls have deadlines (HOOKD_ECS_TIMEOUT_SECONDS)", () => {
  let h: EcsHarness;
  let ok: TestTarget;
  let failing: TestTarget;
  beforeAll(async () => {
    h = await startEcsHarness({ HOOKD_ECS_TIMEOUT_SECONDS: String(ATTEMPT_SECONDS) });
    ok = await startTarget((_req, res) => res.writeHead(200).end());
    failing = await startTarget((_req, res) => res.writeHead(500).end());
  });
  afterAll(async () => {
    await h.close();
    await ok.close();
    await failing.close();
  });

  const withPostStart = (port: number, preStopPath = "/pre-stop") =>
    h.taskDefinition([
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel({
          postStart: { httpGet: { path: "/post-start", port } },
          preStop: { httpGet: { path: preStopPath, port: ok.port } },
        }),
      },
    ]);
  const timed = async <T>(work: Promise<T>) => {
    const started = Date.now();
    const value = await work;
    return { value, ms: Date.now() - started };
  };
  const messageOf = (json: Record<string, unknown>) => String((json.error as { message?: unknown })?.message);

  it("answers 504 naming DescribeTaskDefinition on ?wait=true, in bounded time, after every attempt", async () => {
    const arn = withPostStart(ok.port);
    const before = h.fake.callsOf("DescribeTaskDefinition").length;
    h.fake.hang("DescribeTaskDefinition");
    try {
      const { value, ms } = await timed(h.post("/v1/events/ecs?wait=true", h.running(arn)));
      expect(value.status).toBe(504);
      expect(value.json).toMatchObject({ error: { code: "ecs_timeout" } });
      expect(messageOf(value.json)).toContain(`ECS DescribeTaskDefinition ${arn}: `);
      expect(ms).toBeLessThan(ROUTE_BOUND_MS);
      expect(ms).toBeGreaterThanOrEqual(ATTEMPT_SECONDS * 1000);
      // The SDK retried the timed-out attempts, all within the call's budget.
      expect(h.fake.callsOf("DescribeTaskDefinition").length - before).toBe(3);
    } finally {
      h.fake.hang("DescribeTaskDefinition", false);
    }
  });

  it("answers 504 naming DescribeTasks on POST /v1/ecs/tasks/stop, in bounded time", async () => {
    const event = h.running(withPostStart(ok.port));
    h.fake.hang("DescribeTasks");
    try {
      const { value, ms } = await timed(
        h.post("/v1/ecs/tasks/stop", { cluster: event.detail.clusterArn, task: event.detail.taskArn }),
      );
      expect(value.status).toBe(504);
      expect(messageOf(value.json)).toContain(`ECS DescribeTasks ${event.detail.taskArn} in `);
      expect(messageOf(value.json)).toMatch(/TimeoutError/);
      expect(ms).toBeLessThan(ROUTE_BOUND_MS);
    } finally {
      h.fake.hang("DescribeTasks", false);
    }
    expect(h.fake.callsOf("StopTask").filter((c) => c.body.task === event.detail.taskArn)).toHaveLength(0);
  });

  it("logs the event on the 202 path once the lookup it answered without times out (never silently pending)", async () => {
    const arn = withPostStart(ok.port);
    const event = h.running(arn);
    h.fake.hang("DescribeTaskDefinition");
    try {
      const { value } = await timed(h.post("/v1/events/ecs", event));
      expect(value.status).toBe(202);
      expect(value.json).toMatchObject({ accepted: [], pending: expect.stringContaining(arn) });
      const started = Date.now();
      await until(
        "the event in the log",
        () =>
          h.logs.some(
            (l) =>
              String(l.msg).startsWith("ecs event not handled") &&
              String(l.error).includes(`DescribeTaskDefinition ${arn}: TimeoutError`) &&
              (l.event as { detail?: { taskArn?: string } })?.detail?.taskArn === event.detail.taskArn,
          ),
        ROUTE_BOUND_MS,
      );
      expect(Date.now() - started).toBeLessThan(ROUTE_BOUND_MS);
    } finally {
      h.fake.hang("DescribeTaskDefinition", false);
    }
    // The redelivery is handled in full.
    const retried = await h.post("/v1/events/ecs?wait=true", event);
    expect(retried.json.results).toMatchObject([{ outcome: "succeeded" }]);
  });

  it("reports a StopTask that never answers as a failed action with the cause, in bounded time", async () => {
    const event = h.running(withPostStart(failing.port, "/pre-stop-before-hung-stop"));
    h.fake.hang("StopTask");
    try {
      const { value, ms } = await timed(h.post("/v1/events/ecs?wait=true", event));
      expect(value.status).toBe(200);
      expect(value.json.results).toMatchObject([
        { phase: "postStart", outcome: "failed" },
        { phase: "preStop", outcome: "succeeded" },
      ]);
      const [action] = value.json.actions as Array<Record<string, unknown>>;
      expect(action).toMatchObject({ type: "StopTask", ok: false, task: event.detail.taskArn });
      expect(String(action?.error)).toMatch(/^ECS StopTask .*: TimeoutError: /);
      expect(ms).toBeLessThan(ROUTE_BOUND_MS + 2_000);
    } finally {
      h.fake.hang("StopTask", false);
    }
  });

  it("retries a 500 from ECS, then succeeds (the graceful stop)", async () => {
    const event = h.running(withPostStart(ok.port, "/pre-stop-after-500"));
    h.fake.putTask(taskOf(event));
    h.fake.failNext("DescribeTasks", SERVER_ERROR);
    const { status, json } = await h.post("/v1/ecs/tasks/stop", {
      cluster: event.detail.clusterArn,
      task: event.detail.taskArn,
    });
    expect(status).toBe(200);
    expect(json.results).toMatchObject([{ phase: "preStop", outcome: "succeeded" }]);
    expect(json.actions).toMatchObject([{ type: "StopTask", ok: true }]);
    expect(
      h.fake.callsOf("DescribeTasks").filter((c) => (c.body.tasks as string[])[0] === event.detail.taskArn),
    ).toHaveLength(2);
  });
});
