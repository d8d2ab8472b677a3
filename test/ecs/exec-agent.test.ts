import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentServer } from "../../src/agent/server.ts";
import { startTestAgent } from "../agent/helpers.ts";
import { type EcsHarness, lifecycleLabel, startEcsHarness } from "./harness.ts";

const AGENT_TOKEN = "ecs-agent-t0k";

/** exec hooks of ECS tasks go to the real exec agent, at the hookd.agent-url label or HOOKD_AGENT_URL with {ip}. */
describe("ECS exec hooks through the agent", () => {
  let agent: AgentServer;
  let h: EcsHarness;
  let agentPort: number;
  beforeAll(async () => {
    agent = await startTestAgent("local", { HOOKD_AGENT_TOKEN: AGENT_TOKEN });
    agentPort = Number(new URL(agent.url).port);
    // The setting is the default; a container's hookd.agent-url label wins over it.
    h = await startEcsHarness({ HOOKD_AGENT_TOKEN: AGENT_TOKEN, HOOKD_AGENT_URL: "http://{ip}:1" });
  });
  afterAll(async () => {
    await h.close();
    await agent.close();
  });

  it("runs postStart exec at the label's agent URL, with {ip} the task's IP", async () => {
    const arn = h.taskDefinition([
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel(
          {
            postStart: { exec: { command: ["sh", "-c", "echo warmed-$GREETING"], env: { GREETING: "ecs" } } },
          },
          { "hookd.agent-url": `http://{ip}:${agentPort}` },
        ),
      },
    ]);
    const { json } = await h.post("/v1/events/ecs?wait=true", h.running(arn));
    expect(json.results).toMatchObject([
      { phase: "postStart", handler: "exec", outcome: "succeeded", exitCode: 0, output: "warmed-ecs\n" },
    ]);
    expect(json.actions).toEqual([]);
  });

  it("stops the task after an exec postStart exits non-zero, with the exit code in the reason", async () => {
    const arn = h.taskDefinition([
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel(
          { postStart: { exec: { command: ["sh", "-c", "exit 3"] } } },
          { "hookd.agent-url": `http://{ip}:${agentPort}` },
        ),
      },
    ]);
    const event = h.running(arn);
    const { json } = await h.post("/v1/events/ecs?wait=true", event);
    expect(json.results).toMatchObject([{ phase: "postStart", outcome: "failed", exitCode: 3 }]);
    const reason = h.fake.callsOf("StopTask").find((c) => c.body.task === event.detail.taskArn)?.body.reason;
    expect(String(reason)).toMatch(/^FailedPostStartHook: FargateApp: .*3/);
  });

  it("uses HOOKD_AGENT_URL when the container has no label", async () => {
    const arn = h.taskDefinition([
      { name: "FargateApp", dockerLabels: lifecycleLabel({ postStart: { exec: { command: ["true"] } } }) },
    ]);
    const { json } = await h.post("/v1/events/ecs?wait=true", h.running(arn));
    // The setting points at port 1, where nothing listens: the failure names that URL.
    expect(json.results).toMatchObject([
      { outcome: "failed", message: expect.stringContaining("127.0.0.1:1") },
    ]);
  });
});
