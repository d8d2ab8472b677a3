import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTarget, type TestTarget } from "../support/servers.ts";
import { until } from "../support/wait.ts";
import {
  type EcsHarness,
  fixture,
  lifecycleLabel,
  runningEvent,
  startEcsHarness,
  startGatedTarget,
  stoppingEvent,
} from "./harness.ts";

describe("POST /v1/events/ecs", () => {
  let h: EcsHarness;
  let ok: TestTarget;
  let failing: TestTarget;
  beforeAll(async () => {
    h = await startEcsHarness();
    ok = await startTarget((_req, res) => res.writeHead(200).end("warm"));
    failing = await startTarget((_req, res) => res.writeHead(503).end("not ready"));
  });
  afterAll(async () => {
    await h.close();
    await ok.close();
    await failing.close();
  });

  const requestsTo = (t: TestTarget, path: string) => t.requests.filter((r) => r.url === path).length;

  it("runs postStart of a RUNNING container at the IP from its network interface (?wait=true)", async () => {
    const arn = h.taskDefinition([
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel({ postStart: { httpGet: { path: "/warm-1", port: "http" } } }),
        portMappings: [{ containerPort: ok.port, name: "http" }],
      },
    ]);
    const event = h.running(arn);
    const { status, json } = await h.post("/v1/events/ecs?wait=true", event);
    expect(status).toBe(200);
    expect(json.actions).toEqual([]);
    expect(json.results).toMatchObject([
      {
        phase: "postStart",
        handler: "httpGet",
        container: "FargateApp",
        outcome: "succeeded",
        statusCode: 200,
      },
    ]);
    expect(requestsTo(ok, "/warm-1")).toBe(1);
    expect(h.fake.callsOf("StopTask")).toHaveLength(0);
    expect(h.fake.callsOf("DescribeTaskDefinition").at(-1)?.body).toEqual({ taskDefinition: arn });
    expect(h.fake.callsOf("DescribeTaskDefinition").at(-1)?.signed).toBe(true);
  });

  it("takes the IP from the ENI attachment when the container has no network interface", async () => {
    const arn = h.taskDefinition([
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel({ postStart: { httpGet: { path: "/warm-eni", port: ok.port } } }),
      },
    ]);
    const event = h.running(arn, (d) => {
      for (const c of d.containers) delete c.networkInterfaces;
    });
    const { json } = await h.post("/v1/events/ecs?wait=true", event);
    expect(json.results).toMatchObject([{ outcome: "succeeded" }]);
    expect(requestsTo(ok, "/warm-eni")).toBe(1);
  });

  it("answers 202 with the planned runs before the hook has finished, then runs it in the background", async () => {
    const slow = await startGatedTarget();
    try {
      const arn = h.taskDefinition([
        {
          name: "FargateApp",
          dockerLabels: lifecycleLabel({ postStart: { httpGet: { path: "/slow", port: slow.port } } }),
        },
      ]);
      const event = h.running(arn);
      const { status, json } = await h.post("/v1/events/ecs", event);
      expect(status).toBe(202);
      expect(json).toEqual({
        accepted: [
          {
            phase: "postStart",
            container: "FargateApp",
            handler: "httpGet",
            task: event.detail.taskArn,
            runtimeId: event.detail.containers[0]?.runtimeId,
          },
        ],
      });
      // The 202 did not wait for the hook: no result of it is logged yet.
      expect(h.logs.some((l) => l.msg === "hook" && String(l.message).includes("/slow"))).toBe(false);
      await until("the hook to reach its target", () => slow.arrivals.length === 1);
      slow.release();
      await until("the hook result in the log", () =>
        h.logs.some(
          (l) => l.msg === "hook" && String(l.message).includes("/slow") && l.outcome === "succeeded",
        ),
      );
    } finally {
      slow.release();
      await slow.close();
    }
  });

  it("after a failed postStart runs the task's preStop hooks, then StopTask with the reason", async () => {
    const preStop = await startGatedTarget();
    // preStop takes a while: StopTask must wait for it.
    const timer = setTimeout(() => preStop.release(), 300);
    try {
      const arn = h.taskDefinition([
        {
          name: "FargateApp",
          dockerLabels: lifecycleLabel({
            postStart: { httpGet: { path: "/warm", port: failing.port } },
            preStop: { httpGet: { path: "/drain", port: preStop.port } },
          }),
        },
      ]);
      const event = h.running(arn);
      const { status, json } = await h.post("/v1/events/ecs?wait=true", event);
      expect(status).toBe(200);
      const reason = `FailedPostStartHook: FargateApp: httpGet http://127.0.0.1:${failing.port}/warm: status 503`;
      expect(json.results).toMatchObject([
        { phase: "postStart", outcome: "failed", reason: "FailedPostStartHook", statusCode: 503 },
        { phase: "preStop", outcome: "succeeded", container: "FargateApp" },
      ]);
      expect(json.actions).toEqual([
        { type: "StopTask", cluster: event.detail.clusterArn, task: event.detail.taskArn, reason, ok: true },
      ]);
      const stops = h.fake.callsOf("StopTask").filter((c) => c.body.task === event.detail.taskArn);
      expect(stops.map((c) => c.body)).toEqual([
        { cluster: event.detail.clusterArn, task: event.detail.taskArn, reason },
      ]);
      expect(preStop.requests.map((r) => r.url)).toEqual(["/drain"]);
      const drained = preStop.answered[0];
      const stopped = stops[0]?.at;
      if (drained === undefined || stopped === undefined) throw new Error("preStop or StopTask missing");
      expect(drained).toBeLessThanOrEqual(stopped);
      // A later event saying ECS is stopping the task does not run preStop again.
      const again = await h.post("/v1/events/ecs?wait=true", stoppingEvent(event));
      expect(again.json).toMatchObject({ results: [], actions: [] });
      expect(preStop.requests).toHaveLength(1);
    } finally {
      clearTimeout(timer);
      preStop.release();
      await preStop.close();
    }
  });

  it("cuts the StopTask reason to 255 characters", async () => {
    const arn = h.taskDefinition([
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel({
          postStart: { httpGet: { path: `/warm?${"x".repeat(400)}`, port: failing.port } },
        }),
      },
    ]);
    const event = h.running(arn);
    const { json } = await h.post("/v1/events/ecs?wait=true", event);
    const reason = h.fake.callsOf("StopTask").find((c) => c.body.task === event.detail.taskArn)?.body.reason;
    expect(typeof reason).toBe("string");
    expect(String(reason).length).toBe(255);
    expect(String(reason)).toMatch(
      /^FailedPostStartHook: FargateApp: httpGet http:\/\/127\.0\.0\.1:\d+\/warm\?x+/,
    );
    expect(json.actions).toMatchObject([{ reason, ok: true }]);
  });

  it("runs postStart once per container start: duplicates and later versions do nothing twice", async () => {
    const arn = h.taskDefinition([
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel({ postStart: { httpGet: { path: "/once", port: ok.port } } }),
      },
    ]);
    const event = h.running(arn);
    const first = await h.post("/v1/events/ecs?wait=true", event);
    expect(first.json.results).toHaveLength(1);
    const duplicate = await h.post("/v1/events/ecs?wait=true", event);
    expect(duplicate.status).toBe(200);
    expect(duplicate.json).toMatchObject({
      results: [],
      actions: [],
      duplicate: expect.stringContaining("version 4"),
    });
    const duplicate202 = await h.post("/v1/events/ecs", event);
    expect(duplicate202.status).toBe(202);
    expect(duplicate202.json).toMatchObject({ accepted: [] });
    const nextVersion = structuredClone(event);
    nextVersion.detail.version = 5;
    expect((await h.post("/v1/events/ecs?wait=true", nextVersion)).json).toMatchObject({ results: [] });
    expect(requestsTo(ok, "/once")).toBe(1);
    // The container restarted (a new runtimeId): that is a new start, and postStart runs again.
    const restarted = structuredClone(event);
    restarted.detail.version = 6;
    for (const c of restarted.detail.containers) c.runtimeId = "b".repeat(64);
    expect((await h.post("/v1/events/ecs?wait=true", restarted)).json.results).toHaveLength(1);
    expect(requestsTo(ok, "/once")).toBe(2);
  });

  it("runs preStop within stopTimeout for a stopping task, never for a container that exited", async () => {
    const arn = h.taskDefinition([
      {
        name: "FargateApp",
        stopTimeout: 5,
        dockerLabels: lifecycleLabel({ preStop: { httpGet: { path: "/bye-app", port: ok.port } } }),
      },
      {
        name: "sidecar",
        dockerLabels: lifecycleLabel({ preStop: { httpGet: { path: "/bye-sidecar", port: ok.port } } }),
      },
    ]);
    const event = stoppingEvent(
      h.running(arn, (d) => {
        d.containers.push({ name: "sidecar", lastStatus: "STOPPED", exitCode: 0, runtimeId: "c".repeat(64) });
      }),
    );
    const { status, json } = await h.post("/v1/events/ecs?wait=true", event);
    expect(status).toBe(200);
    expect(json.results).toMatchObject([{ phase: "preStop", container: "FargateApp", outcome: "succeeded" }]);
    expect(json.actions).toEqual([]);
    expect(requestsTo(ok, "/bye-app")).toBe(1);
    expect(requestsTo(ok, "/bye-sidecar")).toBe(0);
    expect(h.fake.callsOf("StopTask").filter((c) => c.body.task === event.detail.taskArn)).toHaveLength(0);
  });

  it("gives a stopping task's preStop no more than the container's stopTimeout", async () => {
    const never = await startTarget(() => {});
    try {
      const arn = h.taskDefinition([
        {
          name: "FargateApp",
          stopTimeout: 1,
          dockerLabels: lifecycleLabel({ preStop: { httpGet: { port: never.port } } }),
        },
      ]);
      const event = stoppingEvent(h.running(arn));
      const { json } = await h.post("/v1/events/ecs?wait=true", event);
      expect(json.results).toMatchObject([
        { phase: "preStop", outcome: "timedOut", reason: "FailedPreStopHook" },
      ]);
    } finally {
      await never.close();
    }
  });

  it("does not ask ECS about events that cannot lead to a hook", async () => {
    const before = h.fake.callsOf("DescribeTaskDefinition").length;
    const { status, json } = await h.post(
      "/v1/events/ecs?wait=true",
      fixture("container-stopped-task-running"),
    );
    expect(status).toBe(200);
    expect(json).toEqual({ results: [], actions: [] });
    expect(h.fake.callsOf("DescribeTaskDefinition")).toHaveLength(before);
  });

  it("calls DescribeTaskDefinition once per ARN, however many events of that revision arrive at once", async () => {
    const arn = h.taskDefinition([
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel({ postStart: { httpGet: { path: "/many", port: ok.port } } }),
      },
    ]);
    h.fake.delay("DescribeTaskDefinition", 100);
    try {
      const answers = await Promise.all(
        Array.from({ length: 40 }, () => h.post("/v1/events/ecs", h.running(arn))),
      );
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 202));
      await until("every hook", () => requestsTo(ok, "/many") === 40);
      await h.post("/v1/events/ecs", h.running(arn));
      await until("one more hook", () => requestsTo(ok, "/many") === 41);
    } finally {
      h.fake.delay("DescribeTaskDefinition", 0);
    }
    expect(
      h.fake.callsOf("DescribeTaskDefinition").filter((c) => c.body.taskDefinition === arn),
    ).toHaveLength(1);
  });

  it("answers other detail types and sources 200 with why they are ignored", async () => {
    const instance = {
      ...fixture("task-running-fargate"),
      "detail-type": "ECS Container Instance State Change",
    };
    const a = await h.post("/v1/events/ecs", instance);
    expect(a).toEqual({
      status: 200,
      json: { ignored: expect.stringContaining("ECS Container Instance State Change") },
    });
    const other = { ...fixture("task-running-fargate"), source: "aws.ec2" };
    const b = await h.post("/v1/events/ecs?wait=true", other);
    expect(b).toEqual({ status: 200, json: { ignored: expect.stringContaining("aws.ec2") } });
  });

  it("accepts fields AWS adds later, and answers a malformed event 400 naming the field", async () => {
    const arn = h.taskDefinition([{ name: "FargateApp", dockerLabels: {} }]);
    const extended = h.running(arn, (d) => {
      d.someNewField = { nested: true };
      (d.containers[0] as Record<string, unknown>).gpuIds = ["0"];
    });
    expect((await h.post("/v1/events/ecs", extended)).status).toBe(202);

    const noArn = runningEvent((d) => {
      delete (d as Partial<typeof d>).taskArn;
    });
    const bad = await h.post("/v1/events/ecs", noArn);
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({
      error: { code: "invalid_request", issues: [{ path: "detail.taskArn" }] },
    });
    expect(String((bad.json.error as { message: string }).message)).toContain("detail.taskArn");

    const noName = runningEvent((d) => {
      delete (d.containers[0] as Partial<(typeof d.containers)[0]>).name;
    });
    const bad2 = await h.post("/v1/events/ecs?wait=true", noName);
    expect(bad2.status).toBe(400);
    expect(bad2.json).toMatchObject({ error: { issues: [{ path: "detail.containers[0].name" }] } });

    const bad3 = await h.post("/v1/events/ecs", { source: "aws.ecs", detail: {} });
    expect(bad3.status).toBe(400);
    expect(bad3.json).toMatchObject({ error: { issues: [{ path: "detail-type" }] } });
    expect((await h.post("/v1/events/ecs", "not json")).status).toBe(400);
  });

  it("reports an invalid hookd label in the answer and the log, and runs nothing for that container", async () => {
    const arn = h.taskDefinition([
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel({ postStart: { tcpSocket: { port: 1 } } }),
      },
    ]);
    const event = h.running(arn);
    const { status, json } = await h.post("/v1/events/ecs", event);
    expect(status).toBe(202);
    expect(json).toMatchObject({
      accepted: [],
      problems: [{ container: "FargateApp", message: expect.stringContaining("tcpSocket") }],
    });
    await until("the log line", () =>
      h.logs.some((l) => l.msg === "ecs invalid hookd label" && l.task === event.detail.taskArn),
    );
  });

  it("a bad grace-period label is a warning naming it, and never blocks a valid postStart", async () => {
    const arn = h.taskDefinition([
      {
        name: "FargateApp",
        dockerLabels: {
          ...lifecycleLabel({ postStart: { httpGet: { path: "/warm-grace", port: "http" } } }),
          "hookd.termination-grace-period-seconds": "soon",
        },
        portMappings: [{ containerPort: ok.port, name: "http" }],
      },
    ]);
    const { status, json } = await h.post("/v1/events/ecs?wait=true", h.running(arn));
    expect(status).toBe(200);
    expect(json).not.toHaveProperty("problems");
    expect(json.results).toMatchObject([
      {
        outcome: "succeeded",
        warnings: [
          `hookd.termination-grace-period-seconds: expected a whole number of seconds ≥ 0, got "soon"; ignored: the container's stopTimeout, else 30s, applies`,
        ],
      },
    ]);
    expect(requestsTo(ok, "/warm-grace")).toBe(1);
  });

  it("refuses the ECS routes without the token", async () => {
    const res = await fetch(`${h.svc.url}/v1/events/ecs`, { method: "POST", body: "{}" });
    expect(res.status).toBe(401);
  });
});
