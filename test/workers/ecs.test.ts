import { describe, expect, inject, it } from "vitest";
import { fakeEcsEnv } from "../support/fake-ecs-env.ts";
import { lifecycleLabel } from "../support/labels.ts";
import { bundledWorker, callWorker, postJson, WORKER_TEST_TOKEN } from "./worker-client.ts";

/** The ECS flow in workerd: the SDK's browser build, fetch, waitUntil, against the fake ECS endpoint. */
const fake = inject("fakeEcs");
const fakePort = Number(new URL(fake).port);

const ecsBindings = fakeEcsEnv(fake);

interface Call {
  operation: string;
  body: Record<string, unknown>;
  signed: boolean;
}

async function control(path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${fake}/_fake/${path}`, {
    method: body === undefined ? "GET" : "POST",
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  expect(res.status).toBe(200);
  return res.json();
}

let serial = 0;

/** A fresh task of a fresh task definition whose hooks point at the fake's recorded hook target. */
async function newTask(lifecycle: Record<string, unknown>) {
  serial += 1;
  const id = `${Date.now().toString(16)}w${serial}`;
  const event = JSON.parse(inject("ecsRunningFixture")) as {
    detail: Record<string, unknown> & { containers: Array<Record<string, unknown>> };
  };
  const taskArn = `arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/${id}`;
  const taskDefinitionArn = `arn:aws:ecs:us-west-2:111122223333:task-definition/workerd-${id}:1`;
  Object.assign(event.detail, { taskArn, taskDefinitionArn });
  await control("task-definition", {
    arn: taskDefinitionArn,
    containers: [{ name: "FargateApp", dockerLabels: lifecycleLabel(lifecycle) }],
  });
  await control("task", {
    task: {
      taskArn,
      clusterArn: event.detail.clusterArn,
      taskDefinitionArn,
      lastStatus: "RUNNING",
      desiredStatus: "RUNNING",
      containers: [{ name: "FargateApp", lastStatus: "RUNNING" }],
    },
  });
  return { event, taskArn, taskDefinitionArn };
}

/** A hook name of its own: the fake lists every hook call it ever got. */
const id = (name: string) => `${name}-${crypto.randomUUID().slice(0, 8)}`;
const hook = (name: string, status = 200) => ({
  httpGet: { path: `/_fake/hook/${name}?status=${status}`, port: fakePort },
});

async function callsFor(taskArn: string, taskDefinitionArn: string, names: string[]): Promise<Call[]> {
  const calls = (await control("calls")) as Call[];
  return calls.filter(
    (c) =>
      c.body.task === taskArn ||
      c.body.taskDefinition === taskDefinitionArn ||
      names.some((n) => c.operation === `hook /${n}`),
  );
}

function postEvent(path: string, event: unknown, bindings: Record<string, unknown> = ecsBindings) {
  return callWorker(
    new Request(`http://hookd.test${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${WORKER_TEST_TOKEN}` },
      body: JSON.stringify(event),
    }),
    bindings,
  );
}

describe("ECS in workerd", () => {
  it("event → failed postStart → preStop → StopTask, through the real SDK (?wait=true)", async () => {
    const [warm, drain] = [id("warm"), id("drain")];
    const { event, taskArn, taskDefinitionArn } = await newTask({
      postStart: hook(warm, 503),
      preStop: hook(drain),
    });
    const res = await postEvent("/v1/events/ecs?wait=true", event);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      results: Array<Record<string, unknown>>;
      actions: Array<Record<string, unknown>>;
    };
    expect(body.results).toMatchObject([
      { phase: "postStart", outcome: "failed", statusCode: 503 },
      { phase: "preStop", outcome: "succeeded" },
    ]);
    const reason = `FailedPostStartHook: FargateApp: httpGet http://127.0.0.1:${fakePort}/_fake/hook/${warm}?status=503: status 503`;
    expect(body.actions).toEqual([
      { type: "StopTask", cluster: event.detail.clusterArn, task: taskArn, reason, ok: true },
    ]);
    const calls = await callsFor(taskArn, taskDefinitionArn, [warm, drain]);
    expect(calls.map((c) => c.operation)).toEqual([
      "DescribeTaskDefinition",
      `hook /${warm}`,
      `hook /${drain}`,
      "StopTask",
    ]);
    expect(calls.filter((c) => !c.operation.startsWith("hook")).every((c) => c.signed)).toBe(true);
    expect(calls.at(-1)?.body).toEqual({ cluster: event.detail.clusterArn, task: taskArn, reason });
  });

  it("answers 202 and finishes the hooks and StopTask in waitUntil", async () => {
    const warm = id("bg-warm");
    const { event, taskArn, taskDefinitionArn } = await newTask({ postStart: hook(warm, 500) });
    // callWorker waits for the execution context's waitUntil work before it returns.
    const res = await postEvent("/v1/events/ecs", event);
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({
      accepted: [
        {
          phase: "postStart",
          container: "FargateApp",
          handler: "httpGet",
          task: taskArn,
          runtimeId: expect.any(String),
        },
      ],
    });
    const calls = await callsFor(taskArn, taskDefinitionArn, [warm]);
    expect(calls.map((c) => c.operation)).toEqual(["DescribeTaskDefinition", `hook /${warm}`, "StopTask"]);
  });

  it("runs a postStart once for the same event sent many times at once (the Durable Object's claim)", async () => {
    const warm = id("dup-warm");
    const { event, taskArn } = await newTask({ postStart: hook(warm) });
    // Each call builds its app anew (its bindings differ): only the object is shared, as between isolates.
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => postEvent("/v1/events/ecs?wait=true", event)),
    );
    const bodies = (await Promise.all(answers.map((r) => r.json()))) as Array<{
      results?: unknown[];
      duplicate?: unknown;
    }>;
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(bodies.flatMap((b) => b.results ?? [])).toHaveLength(1);
    expect(bodies.filter((b) => b.duplicate !== undefined)).toHaveLength(19);
    const hooks = ((await control("calls")) as Call[]).filter((c) => c.operation === `hook /${warm}`);
    expect(hooks).toHaveLength(1);
    const runs = await callWorker(
      new Request(`http://hookd.test/v1/runs?task=${encodeURIComponent(taskArn)}`, {
        headers: { authorization: `Bearer ${WORKER_TEST_TOKEN}` },
      }),
      ecsBindings,
    );
    expect(((await runs.json()) as { runs: unknown[] }).runs).toMatchObject([
      { phase: "postStart", outcome: "succeeded", source: { runtime: "ecs", task: taskArn } },
    ]);
  });

  it("says which secrets are missing when the Worker has no AWS keys", async () => {
    const { event } = await newTask({ postStart: hook(id("no-keys")) });
    const res = await postEvent("/v1/events/ecs?wait=true", event, {
      AWS_ENDPOINT_URL_ECS: fake,
      AWS_REGION: "us-west-2",
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
    });
    expect(res.status).toBe(502);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("ecs_error");
    expect(body.error.message).toContain("wrangler secret put AWS_ACCESS_KEY_ID");
  });

  it("runs the same flow in the bundle wrangler deploy --dry-run builds (the SDK's browser build)", async () => {
    const [warm, drain] = [id("bundle-warm"), id("bundle-drain")];
    const { event, taskArn, taskDefinitionArn } = await newTask({
      postStart: hook(warm, 503),
      preStop: hook(drain),
    });
    const res = await postJson(bundledWorker("HOOKD_BUNDLE"), "/v1/events/ecs?wait=true", event);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ actions: [{ type: "StopTask", task: taskArn, ok: true }] });
    const calls = await callsFor(taskArn, taskDefinitionArn, [warm, drain]);
    expect(calls.map((c) => c.operation)).toEqual([
      "DescribeTaskDefinition",
      `hook /${warm}`,
      `hook /${drain}`,
      "StopTask",
    ]);
  });
});
