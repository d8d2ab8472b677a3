import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVER_ERROR } from "../support/fake-ecs.ts";
import { startTarget, type TestTarget } from "../support/servers.ts";
import {
  type EcsHarness,
  lifecycleLabel,
  startEcsHarness,
  startGatedTarget,
  stoppingEvent,
  taskOf,
} from "./harness.ts";

describe("POST /v1/ecs/tasks/stop (the graceful path for deploy scripts)", () => {
  let h: EcsHarness;
  let ok: TestTarget;
  beforeAll(async () => {
    h = await startEcsHarness();
    ok = await startTarget((_req, res) => res.writeHead(200).end());
  });
  afterAll(async () => {
    await h.close();
    await ok.close();
  });

  it("runs every preStop in parallel, then StopTask with the reason given", async () => {
    // Each preStop is held until both have arrived: run one after the other, they would time out.
    const gated = await startGatedTarget();
    const releaseWhenBoth = setInterval(() => {
      if (gated.arrivals.length === 2) gated.release();
    }, 5);
    try {
      const arn = h.taskDefinition([
        {
          name: "FargateApp",
          dockerLabels: lifecycleLabel({
            preStop: { httpGet: { path: "/app", port: gated.port }, timeoutSeconds: 3 },
          }),
        },
        {
          name: "sidecar",
          dockerLabels: lifecycleLabel({
            preStop: { httpGet: { path: "/sidecar", port: gated.port }, timeoutSeconds: 3 },
          }),
        },
        { name: "no-hooks", dockerLabels: {} },
      ]);
      const event = h.running(arn, (d) => {
        d.containers.push({ name: "sidecar", lastStatus: "RUNNING", runtimeId: "d".repeat(64) });
        d.containers.push({ name: "no-hooks", lastStatus: "RUNNING", runtimeId: "e".repeat(64) });
      });
      const { status, json } = await h.post("/v1/ecs/tasks/stop", {
        cluster: "FargateCluster",
        task: event.detail.taskArn,
        reason: "deploy 42",
      });
      expect(status).toBe(200);
      const results = json.results as Array<Record<string, unknown>>;
      expect(results.map((r) => [r.phase, r.container, r.outcome]).sort()).toEqual([
        ["preStop", "FargateApp", "succeeded"],
        ["preStop", "sidecar", "succeeded"],
      ]);
      expect(json.actions).toEqual([
        {
          type: "StopTask",
          cluster: event.detail.clusterArn,
          task: event.detail.taskArn,
          reason: "deploy 42",
          ok: true,
        },
      ]);
      const describe = h.fake.callsOf("DescribeTasks").at(-1);
      expect(describe?.body).toEqual({ cluster: "FargateCluster", tasks: [event.detail.taskArn] });
      const stop = h.fake.callsOf("StopTask").find((c) => c.body.task === event.detail.taskArn);
      const lastAnswer = Math.max(...gated.answered);
      expect(stop?.at).toBeGreaterThanOrEqual(lastAnswer);

      // ECS then reports the task stopping: preStop does not run a second time.
      const after = await h.post("/v1/events/ecs?wait=true", stoppingEvent(event));
      expect(after.json).toMatchObject({ results: [], actions: [] });
      expect(gated.arrivals).toHaveLength(2);
    } finally {
      clearInterval(releaseWhenBoth);
      gated.release();
      await gated.close();
    }
  });

  it("bounds preStop by the grace period (the label, else stopTimeout) and stops the task anyway", async () => {
    const never = await startTarget(() => {});
    try {
      const arn = h.taskDefinition([
        {
          name: "FargateApp",
          stopTimeout: 120,
          dockerLabels: lifecycleLabel(
            { preStop: { httpGet: { port: never.port } } },
            { "hookd.termination-grace-period-seconds": "1" },
          ),
        },
      ]);
      const event = h.running(arn);
      const { json } = await h.post("/v1/ecs/tasks/stop", {
        cluster: event.detail.clusterArn,
        task: event.detail.taskArn,
      });
      expect(json.results).toMatchObject([
        { phase: "preStop", outcome: "timedOut", reason: "FailedPreStopHook" },
      ]);
      expect(json.actions).toMatchObject([
        { type: "StopTask", ok: true, reason: "hookd: stopped after its preStop hooks" },
      ]);
    } finally {
      await never.close();
    }
  });

  it("skips containers that are not running", async () => {
    const arn = h.taskDefinition([
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel({ preStop: { httpGet: { path: "/exited", port: ok.port } } }),
      },
    ]);
    const event = h.running(arn);
    const task = taskOf(event);
    for (const c of task.containers) c.lastStatus = "STOPPED";
    h.fake.putTask(task);
    const { json } = await h.post("/v1/ecs/tasks/stop", {
      cluster: event.detail.clusterArn,
      task: event.detail.taskArn,
    });
    expect(json).toMatchObject({ results: [], actions: [{ ok: true }] });
    expect(ok.requests.filter((r) => r.url === "/exited")).toHaveLength(0);
  });

  it("answers 404 for a task ECS does not know, and 400 for a bad body", async () => {
    const missing = await h.post("/v1/ecs/tasks/stop", { cluster: "default", task: "0123456789abcdef" });
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ error: { code: "task_not_found" } });
    const bad = await h.post("/v1/ecs/tasks/stop", { cluster: "default", tasks: ["x"] });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({
      error: { issues: expect.arrayContaining([{ path: "task", message: expect.any(String) }]) },
    });
  });

  it("answers 502 when DescribeTasks fails, and runs nothing", async () => {
    const arn = h.taskDefinition([
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel({ preStop: { httpGet: { path: "/not-run", port: ok.port } } }),
      },
    ]);
    const event = h.running(arn);
    h.fake.failNext("DescribeTasks", SERVER_ERROR, 3);
    const { status, json } = await h.post("/v1/ecs/tasks/stop", {
      cluster: "FargateCluster",
      task: event.detail.taskArn,
    });
    expect(status).toBe(502);
    expect(String((json.error as { message: string }).message)).toContain("DescribeTasks");
    expect(ok.requests.filter((r) => r.url === "/not-run")).toHaveLength(0);
    expect(h.fake.callsOf("StopTask").filter((c) => c.body.task === event.detail.taskArn)).toHaveLength(0);
  });
});
