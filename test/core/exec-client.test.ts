import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeServer } from "../../src/entry/node.ts";
import { closedLoopbackPort } from "../support/raw-http.ts";
import { post, startService, startTarget, type TestTarget } from "../support/servers.ts";

/**
 * The service side of the agent protocol (contract §4), against a small protocol-speaking
 * server on loopback. The real agent's end-to-end tests live in test/agent.
 */
describe("exec handler: the agent client", () => {
  let svc: NodeServer;
  let agent: TestTarget;
  const seen: { auth: string | undefined; body: Record<string, unknown>; url: string | undefined }[] = [];
  beforeAll(async () => {
    agent = await startTarget((req, res) => {
      let text = "";
      req.on("data", (c: Buffer) => {
        text += c.toString();
      });
      req.on("end", () => {
        const body = JSON.parse(text) as { command: string[] };
        seen.push({ auth: req.headers.authorization, body, url: req.url });
        const json = (status: number, v: unknown) =>
          res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(v));
        switch (body.command[0]) {
          case "ok":
            return json(200, {
              exitCode: 0,
              output: "hello\n",
              truncated: false,
              timedOut: false,
              durationMs: 3,
            });
          case "fail":
            return json(200, {
              exitCode: 3,
              output: "boom",
              truncated: false,
              timedOut: false,
              durationMs: 3,
            });
          case "slow":
            return json(200, {
              exitCode: null,
              output: "",
              truncated: false,
              timedOut: true,
              durationMs: 900,
            });
          case "error":
            return json(404, {
              error: { code: "no_such_container", message: "no container web", issues: [] },
            });
          default:
            return res.writeHead(200).end("not json");
        }
      });
    });
    svc = await startService({
      HOOKD_AGENT_TOKEN: "agent-secret",
      HOOKD_AGENT_URL: `http://{ip}:${agent.port}`,
    });
  });
  afterAll(async () => {
    await svc.close();
    await agent.close();
  });

  const run = (command: string[], extra: Record<string, unknown> = {}) =>
    post(svc.url, "/v1/hooks/run", {
      phase: "postStart",
      handler: { exec: { command, user: "nobody", workingDir: "/tmp", env: { A: "1" } }, timeoutSeconds: 5 },
      container: { id: "c0ffee", name: "web", ip: "127.0.0.1" },
      ...extra,
    });

  it("sends the request with the agent token, the {ip} template filled, and reports exit 0 as succeeded", async () => {
    const { status, json } = await run(["ok"]);
    expect(status).toBe(200);
    expect(json).toMatchObject({ outcome: "succeeded", handler: "exec", exitCode: 0, output: "hello\n" });
    const req = seen.at(-1);
    expect(req?.url).toBe("/v1/exec");
    expect(req?.auth).toBe("Bearer agent-secret");
    expect(req?.body).toMatchObject({
      containerId: "c0ffee",
      command: ["ok"],
      user: "nobody",
      workingDir: "/tmp",
      env: { A: "1" },
    });
    expect(req?.body.timeoutMs as number).toBeGreaterThan(4000);
    expect(req?.body.timeoutMs as number).toBeLessThanOrEqual(5000);
  });

  it("reports a non-zero exit as failed, with the exit code and output", async () => {
    const { json } = await run(["fail"]);
    expect(json).toMatchObject({
      outcome: "failed",
      reason: "FailedPostStartHook",
      exitCode: 3,
      output: "boom",
    });
    expect(json.message).toMatch(/exec \["fail"\] in web.*exit code 3/);
  });

  it("reports the agent's timedOut as timedOut", async () => {
    const { json } = await run(["slow"]);
    expect(json.outcome).toBe("timedOut");
  });

  it("turns an agent error answer into a failed result with its message, never a 5xx", async () => {
    const { status, json } = await run(["error"]);
    expect(status).toBe(200);
    expect(json.outcome).toBe("failed");
    expect(json.message).toMatch(/answered 404: no container web/);
    const garbage = await run(["garbage"]);
    expect(garbage.json.outcome).toBe("failed");
    expect(garbage.json.message).toMatch(/not the exec protocol/);
  });

  it("reports an unreachable agent as failed with the cause", async () => {
    const { status, json } = await run(["ok"], {
      agentUrl: `http://127.0.0.1:${await closedLoopbackPort()}`,
    });
    expect(status).toBe(200);
    expect(json.outcome).toBe("failed");
    expect(json.message).toMatch(/unreachable: .*ECONNREFUSED/);
  });

  it("fails clearly without an agent URL or without the IP its template needs", async () => {
    const noIp = await post(svc.url, "/v1/hooks/run", {
      phase: "preStop",
      handler: { exec: { command: ["ok"] } },
      container: { id: "c0ffee" },
    });
    expect(noIp.json).toMatchObject({ outcome: "failed", reason: "FailedPreStopHook" });
    expect(noIp.json.message).toMatch(/needs the container's IP/);
    const bare = await startService({});
    try {
      const r = await post(bare.url, "/v1/hooks/run", {
        phase: "preStop",
        handler: { exec: { command: ["ok"] } },
        container: { id: "c0ffee" },
      });
      expect(r.json.outcome).toBe("failed");
      expect(r.json.message).toMatch(/no agent URL: set HOOKD_AGENT_URL/);
    } finally {
      await bare.close();
    }
  });
});
