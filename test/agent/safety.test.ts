import { Client } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentServer, startAgentServer } from "../../src/agent/server.ts";
import { runCli, startHookd } from "../support/cli.ts";
import { send } from "../support/raw-http.ts";
import { until } from "../support/wait.ts";
import { memoryLog, postExec, startTestAgent } from "./helpers.ts";

const TOKEN = "agent-safety-secret";

describe("hookd agent: auth, validation, limits", () => {
  let agent: AgentServer;
  const log = memoryLog();

  beforeAll(async () => {
    agent = await startTestAgent("local", { HOOKD_AGENT_TOKEN: TOKEN }, { maxConcurrent: 2, log });
  });
  afterAll(() => agent.close());

  it("listens on 127.0.0.1 by default and answers /healthz without a token", async () => {
    expect(agent.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${agent.url}/healthz`);
    expect(await res.json()).toMatchObject({ status: "ok", mode: "local" });
  });

  it("refuses /v1/exec without the token, or with a wrong one, with 401", async () => {
    for (const token of [undefined, "wrong", `${TOKEN}x`]) {
      const r = await postExec(agent.url, { command: ["true"] }, token === undefined ? {} : { token });
      expect(r.status).toBe(401);
      expect(r.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect(r.json).toMatchObject({
        error: { code: "unauthorized", message: expect.stringMatching(/HOOKD_AGENT_TOKEN/) },
      });
    }
  });

  it("answers a bad request with 400 and every issue by path", async () => {
    const r = await postExec(
      agent.url,
      { command: [""], timeoutMs: 0, env: { "A=B": "x" }, extra: 1 },
      { token: TOKEN },
    );
    expect(r.status).toBe(400);
    const paths = (r.json.error as { issues: Array<{ path: string }> }).issues.map((i) => i.path).sort();
    expect(paths).toEqual(["command", "env.A=B", "extra", "timeoutMs"]);
    const notJson = await postExec(agent.url, "{nope", { token: TOKEN });
    expect(notJson.status).toBe(400);
    expect(notJson.json).toMatchObject({ error: { code: "invalid_json" } });
  });

  it.each([
    ["99999999999", "a uid or gid is at most 2147483647, got 99999999999"],
    ["0:4294967296", "a uid or gid is at most 2147483647, got 4294967296"],
    ["a:b:c", 'expected name, uid, name:group or uid:gid, got "a:b:c"'],
  ])("answers a user it cannot switch to (%s) with 400 naming `user`, not a 500", async (user, message) => {
    const r = await postExec(agent.url, { command: ["true"], user }, { token: TOKEN });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ error: { issues: [{ path: "user", message }] } });
  });

  it("refuses a body over 1 MiB with 413", async () => {
    // Its own connection: the agent answers before reading the body, then drops the connection.
    const client = new Client(agent.url);
    try {
      const res = await client.request({
        method: "POST",
        path: "/v1/exec",
        headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ command: ["echo", "x".repeat(1024 * 1024 + 10)] }),
      });
      expect(res.statusCode).toBe(413);
      expect(await res.body.json()).toMatchObject({ error: { code: "body_too_large" } });
    } finally {
      await client.destroy();
    }
  });

  it("answers execs beyond --max-concurrent with 429 and Retry-After, and serves again once they end", async () => {
    const slow = () => postExec(agent.url, { command: ["sleep", "1"], timeoutMs: 5000 }, { token: TOKEN });
    const busy = [slow(), slow()];
    await expect
      .poll(async () => ((await (await fetch(`${agent.url}/healthz`)).json()) as { running: number }).running)
      .toBe(2);
    const refused = await postExec(agent.url, { command: ["true"] }, { token: TOKEN });
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.json).toMatchObject({ error: { code: "too_many_execs" } });
    expect((await Promise.all(busy)).map((r) => r.json.exitCode)).toEqual([0, 0]);
    expect((await postExec(agent.url, { command: ["true"] }, { token: TOKEN })).json.exitCode).toBe(0);
  });

  it("without HOOKD_AGENT_TOKEN (loopback only), refuses a web page's request: an Origin, or a Host that is not loopback", async () => {
    const open = await startTestAgent("local", {});
    try {
      const exec = (headers: Record<string, string>) =>
        send(open.url, "POST", "/v1/exec", {
          body: Buffer.from(JSON.stringify({ command: ["true"] })),
          contentType: "text/plain",
          headers,
        });
      for (const headers of [
        { origin: "https://evil.example" },
        { origin: "null" },
        { host: "evil.example" },
      ]) {
        const r = await exec(headers);
        expect(r.status, JSON.stringify(headers)).toBe(403);
        expect(JSON.parse(r.text)).toMatchObject({
          error: { code: "refused_without_token", message: expect.stringMatching(/HOOKD_AGENT_TOKEN/) },
        });
      }
      const plain = await exec({});
      expect(plain.status).toBe(200);
      expect(JSON.parse(plain.text)).toMatchObject({ exitCode: 0 });
    } finally {
      await open.close();
    }
  });

  it("refuses to listen on a non-loopback address without HOOKD_AGENT_TOKEN", async () => {
    await expect(startAgentServer({ mode: "local", port: 0, host: "0.0.0.0", env: {} })).rejects.toThrow(
      /HOOKD_AGENT_TOKEN is not set: refusing to listen on 0\.0\.0\.0/,
    );
  });

  it("answers 502 naming the Docker socket when the engine cannot be reached (docker mode)", async () => {
    const broken = await startTestAgent("docker", { DOCKER_HOST: "unix:///nonexistent/docker.sock" });
    try {
      const r = await postExec(broken.url, { containerId: "web", command: ["true"] });
      expect(r.status).toBe(502);
      expect(r.json).toMatchObject({
        error: { code: "docker_unreachable", message: expect.stringMatching(/web/) },
      });
      const noId = await postExec(broken.url, { command: ["true"] });
      expect(noId.status).toBe(400);
      expect(noId.json).toMatchObject({ error: { issues: [{ path: "containerId" }] } });
    } finally {
      await broken.close();
    }
  });
});

describe("hookd agent: the command line", () => {
  it("needs --mode, and refuses a non-loopback --host without HOOKD_AGENT_TOKEN", async () => {
    const noMode = await runCli(["agent"]);
    expect(noMode.code).toBe(2);
    expect(noMode.stderr).toMatch(/--mode must be docker or local/);
    const open = await runCli(["agent", "--mode", "local", "--host", "0.0.0.0", "--port", "0"], {
      env: { HOOKD_AGENT_TOKEN: "" },
    });
    expect(open.code).toBe(1);
    expect(open.stderr).toMatch(/HOOKD_AGENT_TOKEN is not set: refusing to listen on 0\.0\.0\.0/);
  });

  it("serves execs, and on SIGTERM answers the running one before it exits 0", async () => {
    const p = startHookd(["agent", "--mode", "local", "--port", "0"], { HOOKD_AGENT_TOKEN: "cli-secret" });
    const url = (await p.waitForStderr(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] ?? "";
    const running = postExec(
      url,
      { command: ["sh", "-c", "sleep 1; echo done"], timeoutMs: 5000 },
      { token: "cli-secret" },
    );
    // SIGTERM while the exec runs (the agent's /healthz counts it), not after a guess.
    await until("the exec to run", async () => {
      const health = (await (await fetch(`${url}/healthz`)).json()) as { running: number };
      return health.running === 1;
    });
    try {
      p.child.kill("SIGTERM");
      const answer = await running;
      expect(answer.json).toMatchObject({ exitCode: 0, output: "done\n" });
      expect(await p.exited).toBe(0);
    } finally {
      p.child.kill("SIGKILL");
    }
  });
});
