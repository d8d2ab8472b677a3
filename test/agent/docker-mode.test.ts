import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { AgentServer } from "../../src/agent/server.ts";
import { docker } from "../docker/support.ts";
import { requireDocker } from "../support/docker.ts";
import { dockerTop, hostProcessesOf, postExec, startContainer, startTestAgent } from "./helpers.ts";

const engine = inject("docker");
const dockerHost = "host" in engine ? engine.host : undefined;
const TOKEN = "agent-docker-secret";

describe("hookd agent --mode docker, against a real Docker engine", () => {
  let agent: AgentServer;
  let box: { id: string; name: string };
  let stopped: { id: string; name: string };
  const exec = (body: Record<string, unknown>, signal?: AbortSignal) =>
    postExec(
      agent.url,
      { containerId: box.name, timeoutMs: 10_000, ...body },
      { token: TOKEN, ...(signal && { signal }) },
    );

  beforeAll(async () => {
    if (!dockerHost) return;
    agent = await startTestAgent("docker", { HOOKD_AGENT_TOKEN: TOKEN, DOCKER_HOST: dockerHost });
    box = await startContainer(dockerHost, "hookd-agent-docker");
    stopped = await startContainer(dockerHost, "hookd-agent-stopped");
    await docker(dockerHost, ["stop", "-t", "0", stopped.name]);
  });
  afterAll(async () => {
    if (!dockerHost) return;
    await agent?.close();
    await docker(dockerHost, ["rm", "-f", box.name, stopped.name]).catch(() => undefined);
  });

  it("runs a command in the container and reports exit code 0 with its output", async (ctx) => {
    requireDocker(ctx);
    const r = await exec({ command: ["sh", "-c", "echo hello; cat /etc/hostname >/dev/null"] });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ exitCode: 0, output: "hello\n", truncated: false, timedOut: false });
    expect(r.json.durationMs).toEqual(expect.any(Number));
  });

  it("reports a non-zero exit code, and gives stdout then stderr", async (ctx) => {
    requireDocker(ctx);
    const r = await exec({ command: ["sh", "-c", "echo to-stderr >&2; echo to-stdout; exit 3"] });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ exitCode: 3, output: "to-stdout\nto-stderr\n", timedOut: false });
  });

  it("passes user, workingDir and env through to the exec", async (ctx) => {
    requireDocker(ctx);
    const r = await exec({
      command: ["sh", "-c", 'id -u; pwd; echo "$GREETING"'],
      user: "nobody",
      workingDir: "/tmp",
      env: { GREETING: "hi there" },
    });
    expect(r.json).toMatchObject({ exitCode: 0, output: "65534\n/tmp\nhi there\n" });
  });

  it("caps the output at 10 KiB and says it truncated", async (ctx) => {
    requireDocker(ctx);
    const r = await exec({ command: ["sh", "-c", "head -c 30000 /dev/zero | tr '\\0' a; echo lost >&2"] });
    expect(r.json).toMatchObject({ exitCode: 0, truncated: true, output: "a".repeat(10 * 1024) });
  });

  it("answers a program that does not exist with Docker's exit code and message", async (ctx) => {
    requireDocker(ctx);
    const r = await exec({ command: ["no-such-program"] });
    expect(r.status).toBe(200);
    expect(r.json.exitCode).toBe(126);
    expect(r.json.output).toMatch(/no-such-program.*not found/);
  });

  it("answers a missing container with 404 in the contract's error body", async (ctx) => {
    requireDocker(ctx);
    const r = await postExec(
      agent.url,
      { containerId: "hookd-no-such-container", command: ["true"] },
      { token: TOKEN },
    );
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({
      error: {
        code: "container_not_found",
        message: expect.stringMatching(/hookd-no-such-container/),
        issues: [],
      },
    });
  });

  it("answers a stopped container with 409, and keeps serving", async (ctx) => {
    requireDocker(ctx);
    const r = await postExec(agent.url, { containerId: stopped.name, command: ["true"] }, { token: TOKEN });
    expect(r.status).toBe(409);
    expect(r.json).toMatchObject({ error: { code: "container_not_running", issues: [] } });
    expect((await exec({ command: ["true"] })).json.exitCode).toBe(0);
  });

  it("kills a `sleep 30` at a 1 s deadline: timedOut, and no sleep left in the container nor on the host", async (ctx) => {
    requireDocker(ctx);
    const host = dockerHost ?? "";
    const started = Date.now();
    const r = await exec({ command: ["sleep", "30"], timeoutMs: 1000 });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ timedOut: true, exitCode: null });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect((await dockerTop(host, box.name)).filter((c) => c.includes("sleep"))).toEqual([]);
    expect(hostProcessesOf(box.id).filter((c) => c.includes("sleep"))).toEqual([]);
  });

  it("kills every process of a command that forks, at the deadline", async (ctx) => {
    requireDocker(ctx);
    const r = await exec({
      command: ["sh", "-c", "sleep 30 & sleep 30 & echo forked; wait"],
      timeoutMs: 1000,
    });
    expect(r.json).toMatchObject({ timedOut: true, output: "forked\n" });
    expect((await dockerTop(dockerHost ?? "", box.name)).filter((c) => c.includes("sleep"))).toEqual([]);
    expect(hostProcessesOf(box.id).filter((c) => /sleep|sh -c/.test(c))).toEqual([]);
  });

  it("waits for a command that closed its output, and kills it at the deadline", async (ctx) => {
    requireDocker(ctx);
    const r = await exec({ command: ["sh", "-c", "echo bye; exec >&- 2>&-; sleep 30"], timeoutMs: 1500 });
    expect(r.json).toMatchObject({ timedOut: true, exitCode: null, output: "bye\n" });
    expect(hostProcessesOf(box.id).filter((c) => c.includes("sleep"))).toEqual([]);
  });

  it("kills the exec when the caller hangs up before the deadline", async (ctx) => {
    requireDocker(ctx);
    const caller = AbortSignal.timeout(700);
    await expect(exec({ command: ["sleep", "30"], timeoutMs: 30_000 }, caller)).rejects.toThrow();
    await expect
      .poll(() => hostProcessesOf(box.id).filter((c) => c.includes("sleep")), { timeout: 5000 })
      .toEqual([]);
    expect((await dockerTop(dockerHost ?? "", box.name)).filter((c) => c.includes("sleep"))).toEqual([]);
  });

  it("runs 20 execs at once without error", async (ctx) => {
    requireDocker(ctx);
    const replies = await Promise.all(
      Array.from({ length: 20 }, (_, i) => exec({ command: ["sh", "-c", `echo ${i}`] })),
    );
    expect(replies.map((r) => [r.status, r.json.exitCode, r.json.output])).toEqual(
      Array.from({ length: 20 }, (_, i) => [200, 0, `${i}\n`]),
    );
  });
});
