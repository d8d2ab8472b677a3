import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { AgentServer } from "../../src/agent/server.ts";
import type { NodeServer } from "../../src/entry/node.ts";
import { docker } from "../docker/support.ts";
import { requireDocker } from "../support/docker.ts";
import { post, startService } from "../support/servers.ts";
import { tempDir } from "../support/temp-dir.ts";
import { hostProcessesOf, isAlive, startContainer, startTestAgent } from "./helpers.ts";

const engine = inject("docker");
const dockerHost = "host" in engine ? engine.host : undefined;
const AGENT_TOKEN = "e2e-agent-secret";

/** The service's POST /v1/hooks/run with an exec handler, through a real agent on loopback. */
const scratch = tempDir("hookd-e2e");

describe("service → agent, end to end", () => {
  let service: NodeServer;
  let local: AgentServer;
  let dockerAgent: AgentServer | undefined;
  let box: { id: string; name: string } | undefined;
  const runHook = (
    agentUrl: string,
    container: Record<string, string>,
    exec: Record<string, unknown>,
    timeoutSeconds = 10,
  ) =>
    post(service.url, "/v1/hooks/run", {
      phase: "postStart",
      handler: { exec },
      container,
      agentUrl,
      timeoutSeconds,
    });

  beforeAll(async () => {
    service = await startService({ HOOKD_AGENT_TOKEN: AGENT_TOKEN });
    const env = { HOOKD_AGENT_TOKEN: AGENT_TOKEN, ...(dockerHost && { DOCKER_HOST: dockerHost }) };
    local = await startTestAgent("local", env);
    if (!dockerHost) return;
    dockerAgent = await startTestAgent("docker", env);
    box = await startContainer(dockerHost, "hookd-agent-e2e");
  });
  afterAll(async () => {
    await service.close();
    await local.close();
    await dockerAgent?.close();
    if (dockerHost && box) await docker(dockerHost, ["rm", "-f", box.name]).catch(() => undefined);
  });

  it("local mode: a succeeding exec hook is a succeeded result with exit code and output", async () => {
    const r = await runHook(
      local.url,
      { name: "web" },
      { command: ["sh", "-c", "echo warmed; echo note >&2"], env: { K: "v" } },
    );
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      outcome: "succeeded",
      handler: "exec",
      exitCode: 0,
      output: "warmed\nnote\n",
    });
  });

  it("local mode: a failing exec hook is failed with the exit code", async () => {
    const r = await runHook(local.url, { name: "web" }, { command: ["sh", "-c", "echo broken >&2; exit 7"] });
    expect(r.json).toMatchObject({
      outcome: "failed",
      reason: "FailedPostStartHook",
      exitCode: 7,
      output: "broken\n",
    });
  });

  it("local mode: output of control bytes (6 bytes each in JSON) still comes back whole", async () => {
    const r = await runHook(local.url, { name: "web" }, { command: ["head", "-c", "20000", "/dev/zero"] });
    expect(r.json).toMatchObject({ outcome: "succeeded", exitCode: 0, output: "\0".repeat(10 * 1024) });
  });

  it("local mode: at the hook's deadline the result is timedOut and the process is gone", async () => {
    const pidFile = join(scratch, "pid");
    const r = await runHook(
      local.url,
      { name: "web" },
      { command: ["sh", "-c", `echo $$ > ${pidFile}; exec sleep 30`] },
      1,
    );
    expect(r.json).toMatchObject({ outcome: "timedOut" });
    const pid = Number(readFileSync(pidFile, "utf8"));
    await expect.poll(() => isAlive(pid), { timeout: 5000 }).toBe(false);
  });

  it("docker mode: the hook runs inside the container, by id", async (ctx) => {
    requireDocker(ctx);
    const r = await runHook(
      dockerAgent?.url ?? "",
      { id: box?.id ?? "", name: "web" },
      {
        command: ["sh", "-c", "cat /etc/passwd | grep -c nobody; pwd"],
        workingDir: "/tmp",
      },
    );
    expect(r.json).toMatchObject({
      outcome: "succeeded",
      exitCode: 0,
      output: "1\n/tmp\n",
      container: "web",
    });
  });

  it("docker mode: a failure, and a deadline that leaves no sleep behind", async (ctx) => {
    requireDocker(ctx);
    const url = dockerAgent?.url ?? "";
    const container = { id: box?.id ?? "", name: "web" };
    const failed = await runHook(url, container, { command: ["sh", "-c", "exit 5"] });
    expect(failed.json).toMatchObject({ outcome: "failed", exitCode: 5 });
    const slow = await runHook(url, container, { command: ["sleep", "30"] }, 1);
    expect(slow.json).toMatchObject({ outcome: "timedOut" });
    await expect
      .poll(() => hostProcessesOf(box?.id ?? "").filter((c) => c.includes("sleep")), { timeout: 5000 })
      .toEqual([]);
  });

  it("docker mode: a missing container is a failed result carrying the agent's message", async (ctx) => {
    requireDocker(ctx);
    const r = await runHook(dockerAgent?.url ?? "", { id: "hookd-e2e-missing" }, { command: ["true"] });
    expect(r.json).toMatchObject({ outcome: "failed" });
    expect(r.json.message).toMatch(/answered 404: container "hookd-e2e-missing" not found/);
  });
});
