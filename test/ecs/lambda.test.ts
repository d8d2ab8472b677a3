import type { LambdaEvent } from "hono/aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type FakeEcs, startFakeEcs } from "../support/fake-ecs.ts";
import { fakeEcsEnv } from "../support/fake-ecs-env.ts";
import { startTarget, type TestTarget } from "../support/servers.ts";
import { quietServiceStdout } from "../support/test-log.ts";
import { fixture, lifecycleLabel, runningEvent, TOKEN, taskOf } from "./harness.ts";

type LambdaModule = typeof import("../../src/entry/lambda.ts");

const context = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: "hookd",
  functionVersion: "$LATEST",
  invokedFunctionArn: "arn:aws:lambda:us-west-2:111122223333:function:hookd",
  memoryLimitInMB: "256",
  awsRequestId: "test-request",
  logGroupName: "/aws/lambda/hookd",
  logStreamName: "test",
  getRemainingTimeInMillis: () => 30_000,
};

/** A Lambda Function URL request (payload format 2.0). */
function functionUrlEvent(path: string, body: unknown): Extract<LambdaEvent, { rawPath: string }> {
  return {
    version: "2.0",
    routeKey: "$default",
    rawPath: path,
    rawQueryString: "",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${TOKEN}`,
      host: "hookd.lambda-url.us-west-2.on.aws",
    },
    requestContext: {
      accountId: "anonymous",
      apiId: "hookd",
      authentication: null,
      authorizer: {},
      domainName: "hookd.lambda-url.us-west-2.on.aws",
      domainPrefix: "hookd",
      http: { method: "POST", path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" },
      requestId: "test-request",
      routeKey: "$default",
      stage: "$default",
      time: "27/Nov/2026:10:00:00 +0000",
      timeEpoch: Date.now(),
    },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

/** The Lambda entry, called in Node as the Lambda runtime calls it, with the real SDK against the fake ECS. */
describe("Lambda entry", () => {
  let fake: FakeEcs;
  let target: TestTarget;
  let lambda: LambdaModule;
  let arn: string;
  let restoreStdout = () => {};
  beforeAll(async () => {
    restoreStdout = quietServiceStdout();
    fake = await startFakeEcs();
    target = await startTarget((req, res) => {
      // Slow enough that a handler returning before its hooks finish would be caught.
      setTimeout(() => res.writeHead(req.url === "/fail" ? 500 : 200).end(), 200);
    });
    // The entry reads process.env when it loads; restored after the file (vi.unstubAllEnvs).
    for (const [k, v] of Object.entries({ ...fakeEcsEnv(fake.url), HOOKD_TOKEN: TOKEN })) vi.stubEnv(k, v);
    lambda = await import("../../src/entry/lambda.ts");
    arn = "arn:aws:ecs:us-west-2:111122223333:task-definition/sample-fargate:1";
    fake.putTaskDefinition(arn, [
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel({
          postStart: { httpGet: { path: "/warm", port: target.port } },
          preStop: { httpGet: { path: "/drain", port: target.port } },
        }),
      },
    ]);
  });
  afterAll(async () => {
    restoreStdout();
    vi.unstubAllEnvs();
    await fake.close();
    await target.close();
  });

  it("handles the raw fixture event from an EventBridge rule and finishes the hooks before returning", async () => {
    const event = fixture("task-running-fargate");
    const answer = await lambda.handler(event, context);
    expect(answer).toMatchObject({
      results: [{ phase: "postStart", container: "FargateApp", outcome: "succeeded", statusCode: 200 }],
      actions: [],
    });
    expect(target.requests.map((r) => r.url)).toEqual(["/warm"]);
    expect(await lambda.handler(event, context)).toMatchObject({
      results: [],
      duplicate: expect.any(String),
    });
  });

  it("runs preStop and StopTask for a raw event whose postStart fails, before returning", async () => {
    const failArn = "arn:aws:ecs:us-west-2:111122223333:task-definition/sample-fargate:2";
    fake.putTaskDefinition(failArn, [
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel({
          postStart: { httpGet: { path: "/fail", port: target.port } },
          preStop: { httpGet: { path: "/drain-after-fail", port: target.port } },
        }),
      },
    ]);
    const event = runningEvent((d) => {
      d.taskDefinitionArn = failArn;
    });
    fake.putTask(taskOf(event));
    const answer = await lambda.handler(event, context);
    expect(answer).toMatchObject({ actions: [{ type: "StopTask", ok: true }] });
    expect(target.requests.map((r) => r.url)).toContain("/drain-after-fail");
    expect(fake.callsOf("StopTask").map((c) => c.body.task)).toEqual([event.detail.taskArn]);
  });

  it("refuses a raw event's label aimed at another host (127.0.0.2) without connecting to it", async () => {
    const other = await startTarget((_req, res) => res.writeHead(200).end(), "127.0.0.2");
    try {
      const otherArn = "arn:aws:ecs:us-west-2:111122223333:task-definition/sample-fargate:3";
      fake.putTaskDefinition(otherArn, [
        {
          name: "FargateApp",
          dockerLabels: lifecycleLabel({ postStart: { httpGet: { host: "127.0.0.2", port: other.port } } }),
        },
      ]);
      const event = runningEvent((d) => {
        d.taskDefinitionArn = otherArn;
      });
      fake.putTask(taskOf(event));
      expect(await lambda.handler(event, context)).toMatchObject({
        results: [{ outcome: "failed", message: expect.stringContaining("HOOKD_ALLOW_HOSTS") }],
        actions: [{ type: "StopTask", ok: true }],
      });
      expect(other.connections()).toBe(0);
    } finally {
      await other.close();
    }
  });

  it("ignores other raw events and answers a malformed one without throwing", async () => {
    const other = { ...fixture("task-running-fargate"), "detail-type": "ECS Deployment State Change" };
    expect(await lambda.handler(other, context)).toEqual({ ignored: expect.stringContaining("Deployment") });
    const bad = runningEvent((d) => {
      d.version = -1;
    });
    expect(await lambda.handler(bad, context)).toMatchObject({
      error: { code: "invalid_request", issues: [{ path: "detail.version" }] },
    });
  });

  it("throws when ECS cannot be asked, so that Lambda retries the event", async () => {
    const event = runningEvent((d) => {
      d.taskDefinitionArn = "arn:aws:ecs:us-west-2:111122223333:task-definition/unknown:9";
    });
    await expect(lambda.handler(event, context)).rejects.toThrow(/DescribeTaskDefinition .*ClientException/);
  });

  it("serves a Function URL request and finishes the background hooks before returning", async () => {
    const event = runningEvent((d) => {
      d.taskDefinitionArn = arn;
    });
    const before = target.requests.length;
    const answer = (await lambda.handler(functionUrlEvent("/v1/events/ecs", event), context)) as {
      statusCode: number;
      body: string;
    };
    expect(answer.statusCode).toBe(202);
    expect(JSON.parse(answer.body)).toMatchObject({
      accepted: [{ phase: "postStart", container: "FargateApp" }],
    });
    // The 202 went out first, but the function did not return before the hook had run.
    expect(target.requests.slice(before).map((r) => r.url)).toEqual(["/warm"]);
    expect(target.requests.length).toBe(before + 1);
  });
});
