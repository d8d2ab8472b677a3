import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVER_ERROR, THROTTLED } from "../support/fake-ecs.ts";
import { startTarget, type TestTarget } from "../support/servers.ts";
import { until } from "../support/wait.ts";
import { type EcsHarness, lifecycleLabel, startEcsHarness } from "./harness.ts";

/** ECS API errors and throttling: answered (the SDK retries), logged, and nothing lost. */
describe("ECS API errors", () => {
  let h: EcsHarness;
  let ok: TestTarget;
  let failing: TestTarget;
  beforeAll(async () => {
    h = await startEcsHarness();
    ok = await startTarget((_req, res) => res.writeHead(200).end());
    failing = await startTarget((_req, res) => res.writeHead(500).end());
  });
  afterAll(async () => {
    await h.close();
    await ok.close();
    await failing.close();
  });

  const hits = (path: string) => ok.requests.filter((r) => r.url === path).length;
  const describesOf = (arn: string) =>
    h.fake.callsOf("DescribeTaskDefinition").filter((c) => c.body.taskDefinition === arn).length;
  const postStartOn = (path: string) =>
    h.taskDefinition([
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel({ postStart: { httpGet: { path, port: ok.port } } }),
      },
    ]);

  it("rides out a throttled DescribeTaskDefinition (the SDK retries)", async () => {
    const arn = postStartOn("/throttled");
    h.fake.failNext("DescribeTaskDefinition", THROTTLED);
    const { status, json } = await h.post("/v1/events/ecs?wait=true", h.running(arn));
    expect(status).toBe(200);
    expect(json.results).toMatchObject([{ outcome: "succeeded" }]);
    expect(describesOf(arn)).toBe(2);
    expect(hits("/throttled")).toBe(1);
  });

  it("answers 502 when ECS keeps failing, logs the event, and handles its redelivery in full", async () => {
    const arn = postStartOn("/redelivered");
    const event = h.running(arn);
    h.fake.failNext("DescribeTaskDefinition", SERVER_ERROR, 3);
    const failed = await h.post("/v1/events/ecs?wait=true", event);
    expect(failed.status).toBe(502);
    expect(failed.json).toMatchObject({ error: { code: "ecs_error" } });
    const message = String((failed.json.error as { message: string }).message);
    expect(message).toContain(`DescribeTaskDefinition ${arn}: ServerException: internal failure of the fake`);
    expect(message).toContain("after 3 attempts");
    expect(hits("/redelivered")).toBe(0);
    await until("the event in the log", () =>
      h.logs.some(
        (l) =>
          String(l.msg).startsWith("ecs event not handled") &&
          (l.event as { detail?: { taskArn?: string } })?.detail?.taskArn === event.detail.taskArn,
      ),
    );
    // EventBridge retries the event after a 5xx: it is not taken for a duplicate.
    const retried = await h.post("/v1/events/ecs?wait=true", event);
    expect(retried.status).toBe(200);
    expect(retried.json.results).toMatchObject([{ outcome: "succeeded" }]);
    expect(hits("/redelivered")).toBe(1);
  });

  it("answers 502 on the 202 path too when ECS refuses at once", async () => {
    const event = h.running("arn:aws:ecs:us-west-2:111122223333:task-definition/never-registered:1");
    const { status, json } = await h.post("/v1/events/ecs", event);
    expect(status).toBe(502);
    expect(String((json.error as { message: string }).message)).toContain("ClientException");
  });

  it("answers 202 at once when DescribeTaskDefinition is slow, and runs the hooks when it answers", async () => {
    const arn = postStartOn("/slow-describe");
    h.fake.delay("DescribeTaskDefinition", 1500);
    try {
      const { status, json } = await h.post("/v1/events/ecs", h.running(arn));
      expect(status).toBe(202);
      expect(json).toMatchObject({ accepted: [], pending: expect.stringContaining(arn) });
      expect(hits("/slow-describe")).toBe(0);
      await until("the hook", () => hits("/slow-describe") === 1);
    } finally {
      h.fake.delay("DescribeTaskDefinition", 0);
    }
  });

  it("logs a slow lookup that then fails with the whole event, and handles the redelivery", async () => {
    const arn = postStartOn("/slow-then-failed");
    const event = h.running(arn);
    h.fake.delay("DescribeTaskDefinition", 900);
    h.fake.failNext("DescribeTaskDefinition", SERVER_ERROR, 3);
    try {
      const { status } = await h.post("/v1/events/ecs", event);
      expect(status).toBe(202);
      await until("the event in the log", () =>
        h.logs.some(
          (l) =>
            String(l.msg).startsWith("ecs event not handled") &&
            String(l.error).includes("ServerException") &&
            (l.event as { detail?: { taskArn?: string } })?.detail?.taskArn === event.detail.taskArn,
        ),
      );
    } finally {
      h.fake.delay("DescribeTaskDefinition", 0);
    }
    const retried = await h.post("/v1/events/ecs?wait=true", event);
    expect(retried.json.results).toMatchObject([{ outcome: "succeeded" }]);
    expect(hits("/slow-then-failed")).toBe(1);
  });

  const failingPostStart = () =>
    h.taskDefinition([
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel({
          postStart: { httpGet: { port: failing.port } },
          preStop: { httpGet: { path: "/pre-stop-before-failed-stop", port: ok.port } },
        }),
      },
    ]);

  it("reports a StopTask that keeps failing in the actions, with the ECS error, and logs it", async () => {
    const event = h.running(failingPostStart());
    h.fake.failNext("StopTask", SERVER_ERROR, 3);
    const { status, json } = await h.post("/v1/events/ecs?wait=true", event);
    expect(status).toBe(200);
    expect(json.results).toMatchObject([
      { phase: "postStart", outcome: "failed" },
      { phase: "preStop", outcome: "succeeded" },
    ]);
    const [action] = json.actions as Array<Record<string, unknown>>;
    expect(action).toMatchObject({ type: "StopTask", ok: false, task: event.detail.taskArn });
    expect(String(action?.error)).toMatch(
      /^ECS StopTask .*: ServerException: internal failure of the fake \(after 3 attempts\)$/,
    );
    await until("the error in the log", () =>
      h.logs.some(
        (l) =>
          l.level === "error" &&
          String(l.msg).startsWith("ecs StopTask failed") &&
          l.task === event.detail.taskArn,
      ),
    );
  });

  it("rides out a throttled StopTask", async () => {
    const event = h.running(failingPostStart());
    h.fake.failNext("StopTask", THROTTLED);
    const { json } = await h.post("/v1/events/ecs?wait=true", event);
    expect(json.actions).toMatchObject([{ type: "StopTask", ok: true }]);
    expect(h.fake.callsOf("StopTask").filter((c) => c.body.task === event.detail.taskArn)).toHaveLength(2);
  });
});
