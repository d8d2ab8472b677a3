import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeContainerDefinition } from "../support/fake-ecs.ts";
import { startTarget, type TestTarget } from "../support/servers.ts";
import { until } from "../support/wait.ts";
import {
  deactivatingEvent,
  type EcsEvent,
  type EcsHarness,
  lifecycleLabel,
  startEcsHarness,
  startGatedTarget,
  stoppingEvent,
} from "./harness.ts";

/** preStop around the load balancer's drain: a service task is DEACTIVATING before ECS signals it. */
describe("preStop on an ECS stop (POST /v1/events/ecs)", () => {
  let h: EcsHarness;
  let ok: TestTarget;
  beforeAll(async () => {
    h = await startEcsHarness();
    ok = await startTarget((_req, res) => res.writeHead(200).end("drained"));
  });
  afterAll(async () => {
    await h.close();
    await ok.close();
  });

  let serial = 0;
  /** A task of its own whose one container has a preStop at its own path on `ok`. */
  function taskWithPreStop(extra: Partial<FakeContainerDefinition> = {}) {
    serial += 1;
    const path = `/drain-${serial}`;
    const arn = h.taskDefinition([
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel({ preStop: { httpGet: { path, port: ok.port } } }),
        ...extra,
      },
    ]);
    const running = h.running(arn);
    return { running, path, drains: () => ok.requests.filter((r) => r.url === path).length };
  }

  const sourceOf = (event: EcsEvent, stopCode: string) => ({
    runtime: "ecs",
    cluster: event.detail.clusterArn,
    task: event.detail.taskArn,
    runtimeId: event.detail.containers[0]?.runtimeId,
    stopCode,
  });

  it("runs preStop once for the two events of one stop: RUNNING with desiredStatus STOPPED, then DEACTIVATING", async () => {
    const { running, drains } = taskWithPreStop();
    const first = stoppingEvent(running);
    first.detail.stopCode = "ServiceSchedulerInitiated";
    const { status, json } = await h.post("/v1/events/ecs?wait=true", first);
    expect(status).toBe(200);
    expect(json.results).toMatchObject([
      {
        phase: "preStop",
        container: "FargateApp",
        outcome: "succeeded",
        source: sourceOf(running, "ServiceSchedulerInitiated"),
      },
    ]);
    expect(json.actions).toEqual([]);
    const second = await h.post("/v1/events/ecs?wait=true", deactivatingEvent(running));
    expect(second.json).toEqual({ results: [], actions: [] });
    expect(drains()).toBe(1);
    // hookd leaves the stop to ECS: no StopTask of its own.
    expect(h.fake.callsOf("StopTask").filter((c) => c.body.task === running.detail.taskArn)).toHaveLength(0);
  });

  it("runs preStop once when the two events of one stop arrive at the same time", async () => {
    const { running, drains } = taskWithPreStop();
    const answers = await Promise.all([
      h.post("/v1/events/ecs?wait=true", stoppingEvent(running)),
      h.post("/v1/events/ecs?wait=true", deactivatingEvent(running)),
    ]);
    const results = answers.flatMap((a) => a.json.results as unknown[]);
    expect(results).toMatchObject([{ phase: "preStop", outcome: "succeeded" }]);
    expect(drains()).toBe(1);
  });

  it("runs preStop for a DEACTIVATING event alone, in the background, with the stop's cause in the logged result", async () => {
    const { running, drains } = taskWithPreStop();
    const event = deactivatingEvent(running);
    const { status, json } = await h.post("/v1/events/ecs", event);
    expect(status).toBe(202);
    expect(json).toEqual({
      accepted: [
        {
          phase: "preStop",
          container: "FargateApp",
          handler: "httpGet",
          task: running.detail.taskArn,
          runtimeId: running.detail.containers[0]?.runtimeId,
        },
      ],
    });
    const task = running.detail.taskArn;
    await until("the preStop result in the log", () =>
      h.logs.some((l) => l.msg === "hook" && (l.source as { task?: string } | undefined)?.task === task),
    );
    const logged = h.logs.find((l) => l.msg === "hook" && (l.source as { task?: string })?.task === task);
    expect(logged).toMatchObject({
      phase: "preStop",
      outcome: "succeeded",
      source: sourceOf(running, "ServiceSchedulerInitiated"),
    });
    expect(h.logs.find((l) => l.msg === "ecs event" && l.task === task)).toMatchObject({
      lastStatus: "DEACTIVATING",
      stopCode: "ServiceSchedulerInitiated",
      planned: ["preStop FargateApp"],
    });
    expect(drains()).toBe(1);
  });

  it("runs no preStop once the task is STOPPING, says why, and keeps to that when a late DEACTIVATING comes", async () => {
    const { running, drains } = taskWithPreStop();
    const stopping = deactivatingEvent(running, running.detail.version + 3);
    stopping.detail.lastStatus = "STOPPING";
    stopping.detail.stopCode = "UserInitiated";
    const { status, json } = await h.post("/v1/events/ecs?wait=true", stopping);
    expect(status).toBe(200);
    expect(json).toMatchObject({ results: [], actions: [] });
    const skipped = json.skipped as Array<Record<string, unknown>>;
    expect(skipped).toMatchObject([
      {
        phase: "preStop",
        container: "FargateApp",
        handler: "httpGet",
        task: running.detail.taskArn,
        runtimeId: running.detail.containers[0]?.runtimeId,
        reason: expect.stringContaining("STOPPING"),
      },
    ]);
    expect(String(skipped[0]?.reason)).toContain("stop signal");
    const isSkipLine = (l: Record<string, unknown>) =>
      l.msg === "ecs preStop skipped" && l.task === running.detail.taskArn;
    await until("the skip in the log", () => h.logs.some(isSkipLine));
    expect(h.logs.filter(isSkipLine)).toMatchObject([
      {
        level: "warn",
        container: "FargateApp",
        lastStatus: "STOPPING",
        stopCode: "UserInitiated",
        reason: skipped[0]?.reason,
      },
    ]);
    // EventBridge does not keep order: the DEACTIVATING event of the same stop, arriving late, runs nothing.
    const late = await h.post("/v1/events/ecs?wait=true", deactivatingEvent(running));
    expect(late.json).toEqual({ results: [], actions: [] });
    expect(drains()).toBe(0);
  });

  it("lists a STOPPING task's skipped preStop in the 202 answer too", async () => {
    const { running, drains } = taskWithPreStop();
    const stopping = deactivatingEvent(running, running.detail.version + 3);
    stopping.detail.lastStatus = "STOPPING";
    const { status, json } = await h.post("/v1/events/ecs", stopping);
    expect(status).toBe(202);
    expect(json).toMatchObject({
      accepted: [],
      skipped: [{ phase: "preStop", container: "FargateApp", reason: expect.stringContaining("STOPPING") }],
    });
    expect(drains()).toBe(0);
  });

  it("says nothing of preStop for a task that has stopped: its containers are no longer running", async () => {
    const { running } = taskWithPreStop();
    const stopped = deactivatingEvent(running, running.detail.version + 4);
    stopped.detail.lastStatus = "STOPPED";
    for (const c of stopped.detail.containers) c.lastStatus = "STOPPED";
    const before = h.fake.callsOf("DescribeTaskDefinition").length;
    const { json } = await h.post("/v1/events/ecs?wait=true", stopped);
    expect(json).toEqual({ results: [], actions: [] });
    expect(h.fake.callsOf("DescribeTaskDefinition")).toHaveLength(before);
  });

  describe("a load-balanced stop whose target answers the preStop slowly ends within the deadline", () => {
    const cases: Array<{
      deadline: string;
      lifecycle: Record<string, unknown>;
      def: Partial<FakeContainerDefinition>;
    }> = [
      {
        deadline: "the grace label, over stopTimeout",
        lifecycle: {},
        def: { stopTimeout: 120, dockerLabels: { "hookd.termination-grace-period-seconds": "1" } },
      },
      { deadline: "stopTimeout, without a grace label", lifecycle: {}, def: { stopTimeout: 1 } },
      {
        deadline: "the hook's timeoutSeconds, over the grace period",
        lifecycle: { timeoutSeconds: 1 },
        def: { dockerLabels: { "hookd.termination-grace-period-seconds": "600" } },
      },
    ];
    for (const { deadline, lifecycle, def } of cases) {
      it(`1 s from ${deadline}`, async () => {
        const slow = await startGatedTarget();
        try {
          const arn = h.taskDefinition([
            {
              name: "FargateApp",
              ...def,
              dockerLabels: {
                ...def.dockerLabels,
                ...lifecycleLabel({
                  preStop: { httpGet: { path: "/slow-drain", port: slow.port }, ...lifecycle },
                }),
              },
            },
          ]);
          const event = deactivatingEvent(h.running(arn));
          const sent = Date.now();
          const { status, json } = await h.post("/v1/events/ecs?wait=true", event);
          const took = Date.now() - sent;
          expect(status).toBe(200);
          expect(json.results).toMatchObject([
            {
              phase: "preStop",
              outcome: "timedOut",
              reason: "FailedPreStopHook",
              message: expect.stringContaining("timed out after 1s"),
            },
          ]);
          expect(slow.arrivals).toHaveLength(1);
          expect(slow.answered).toHaveLength(0);
          // Generous: the deadline is 1 s; the target would never have answered.
          expect(took).toBeLessThan(10_000);
        } finally {
          slow.release();
          await slow.close();
        }
      });
    }
  });
});
