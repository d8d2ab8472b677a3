import type { IncomingMessage, ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTarget, type TestTarget } from "../support/servers.ts";
import { type EcsHarness, lifecycleLabel, startEcsHarness } from "./harness.ts";

/**
 * The ECS adapter holds a task definition's dockerLabels to the task itself (contract §1): the
 * same labels as test/core/label-trust.test.ts, through EventBridge events and the graceful stop
 * route. The task's IP is 127.0.0.1; 127.0.0.2 plays another host in the VPC.
 */
const OTHER = "127.0.0.2";
const AGENT_TOKEN = "ecs-agent-s3cret";

const agentAnswer = (_req: IncomingMessage, res: ServerResponse) =>
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ exitCode: 0, output: "" }));

type Result = { phase: string; outcome: string; message: string };

describe("ECS: labels aimed at another host", () => {
  let vpcHost: TestTarget;
  let agent: TestTarget;
  beforeAll(async () => {
    vpcHost = await startTarget((_req, res) => res.writeHead(200).end("internal"), OTHER);
    agent = await startTarget(agentAnswer, OTHER);
  });
  afterAll(async () => {
    await vpcHost.close();
    await agent.close();
  });

  const labels = () =>
    lifecycleLabel(
      {
        postStart: { httpGet: { host: OTHER, port: vpcHost.port, path: "/secrets" }, timeoutSeconds: 5 },
        preStop: { exec: { command: ["true"] }, timeoutSeconds: 5 },
      },
      { "hookd.agent-url": `http://${OTHER}:${agent.port}` },
    );

  async function withHarness(env: Record<string, string>, work: (h: EcsHarness) => Promise<void>) {
    const h = await startEcsHarness({ HOOKD_AGENT_TOKEN: AGENT_TOKEN, ...env });
    try {
      await work(h);
    } finally {
      await h.close();
    }
  }

  it("refuses them under the default settings: nothing connected to, the settings named", async () => {
    await withHarness({}, async (h) => {
      const arn = h.taskDefinition([{ name: "FargateApp", dockerLabels: labels() }]);
      const event = h.running(arn);
      const { status, json } = await h.post("/v1/events/ecs?wait=true", event);
      expect(status).toBe(200);
      // The failed postStart runs the task's preStop (refused too), then stops the task.
      const results = json.results as Result[];
      expect(results).toMatchObject([
        { phase: "postStart", outcome: "failed", message: expect.stringContaining("HOOKD_ALLOW_HOSTS") },
        { phase: "preStop", outcome: "failed", message: expect.stringContaining("HOOKD_AGENT_HOSTS") },
      ]);
      expect(json.actions).toMatchObject([{ type: "StopTask", ok: true }]);

      const stop = await h.post("/v1/ecs/tasks/stop", {
        cluster: event.detail.clusterArn,
        task: event.detail.taskArn,
      });
      expect(stop.status).toBe(200);
      expect(stop.json.results).toMatchObject([
        { phase: "preStop", outcome: "failed", message: expect.stringContaining("HOOKD_AGENT_HOSTS") },
      ]);
    });
    expect(vpcHost.connections()).toBe(0);
    expect(agent.connections()).toBe(0);
  });

  it("runs them once HOOKD_ALLOW_HOSTS and HOOKD_AGENT_HOSTS list the host, and only the agent gets the token", async () => {
    await withHarness({ HOOKD_ALLOW_HOSTS: OTHER, HOOKD_AGENT_HOSTS: "127.0.0.0/30" }, async (h) => {
      const arn = h.taskDefinition([{ name: "FargateApp", dockerLabels: labels() }]);
      const event = h.running(arn);
      const { json } = await h.post("/v1/events/ecs?wait=true", event);
      expect(json.results).toMatchObject([{ phase: "postStart", outcome: "succeeded", statusCode: 200 }]);
      const stop = await h.post("/v1/ecs/tasks/stop", {
        cluster: event.detail.clusterArn,
        task: event.detail.taskArn,
      });
      expect(stop.json.results).toMatchObject([{ phase: "preStop", outcome: "succeeded", exitCode: 0 }]);
    });
    expect(vpcHost.requests.map((r) => [r.url, r.headers.authorization])).toEqual([["/secrets", undefined]]);
    expect(agent.requests.map((r) => r.headers.authorization)).toEqual([`Bearer ${AGENT_TOKEN}`]);
  });
});
