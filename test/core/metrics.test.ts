import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentServer, startAgentServer } from "../../src/agent/server.ts";
import type { NodeServer } from "../../src/entry/node.ts";
import { lifecycleLabel } from "../support/labels.ts";
import { samples } from "../support/metrics.ts";
import { post, startService, startTarget, type TestTarget } from "../support/servers.ts";

const TOKEN = "metrics-t0k";

async function scrape(url: string, token?: string): Promise<Response> {
  return fetch(`${url}/metrics`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
}

describe("GET /metrics on the service", () => {
  let svc: NodeServer;
  let ok: TestTarget;
  let failing: TestTarget;
  beforeAll(async () => {
    svc = await startService({ HOOKD_TOKEN: TOKEN });
    ok = await startTarget((_req, res) => res.writeHead(200).end("ok"));
    failing = await startTarget((_req, res) => res.writeHead(503).end("no"));
  });
  afterAll(async () => {
    await svc.close();
    await ok.close();
    await failing.close();
  });

  const run = (handler: unknown, phase = "postStart") =>
    post(
      svc.url,
      "/v1/hooks/run",
      { phase, handler, container: { name: "secret-name-web", ip: "127.0.0.1" } },
      TOKEN,
    );
  const dockerEvent = (labels: Record<string, string>) =>
    post(
      svc.url,
      "/v1/events/docker",
      { phase: "postStart", container: { id: "c0ffee", name: "secret-name-db", labels, ip: "127.0.0.1" } },
      TOKEN,
    );

  it("counts hooks and events after a few of them, line by line, with histogram buckets", async () => {
    for (let i = 0; i < 2; i++) expect((await run({ httpGet: { port: ok.port } })).status).toBe(200);
    expect((await run({ httpGet: { port: failing.port } })).json).toMatchObject({ outcome: "failed" });
    expect((await run({ sleep: { seconds: 1 } }, "preStop")).json).toMatchObject({ outcome: "succeeded" });
    expect((await dockerEvent(lifecycleLabel({ postStart: { httpGet: { port: ok.port } } }))).status).toBe(
      200,
    );
    expect((await dockerEvent({ other: "label" })).json).toEqual({ result: null, action: "none" });
    expect((await dockerEvent({ "hookd.lifecycle": "{not json" })).status).toBe(400);

    const res = await scrape(svc.url, TOKEN);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const s = samples(text);
    const httpGet = 'phase="postStart",handler="httpGet"';
    expect(s.get(`hookd_hook_runs_total{${httpGet},outcome="succeeded"}`)).toBe(3);
    expect(s.get(`hookd_hook_runs_total{${httpGet},outcome="failed"}`)).toBe(1);
    expect(s.get('hookd_hook_runs_total{phase="preStop",handler="sleep",outcome="succeeded"}')).toBe(1);
    expect(s.get(`hookd_hook_duration_seconds_count{${httpGet}}`)).toBe(4);
    expect(s.get(`hookd_hook_duration_seconds_bucket{le="120",${httpGet}}`)).toBe(4);
    expect(s.get(`hookd_hook_duration_seconds_bucket{le="+Inf",${httpGet}}`)).toBe(4);
    // The buckets run from 5 ms to 120 s, and a count never falls as le grows.
    const les = [...s.keys()]
      .filter((k) => k.startsWith(`hookd_hook_duration_seconds_bucket{`) && k.endsWith(`${httpGet}}`))
      .map((k) => /le="([^"]+)"/.exec(k)?.[1]);
    expect(les).toEqual([
      "0.005",
      "0.01",
      "0.025",
      "0.05",
      "0.1",
      "0.25",
      "0.5",
      "1",
      "2.5",
      "5",
      "10",
      "30",
      "60",
      "120",
      "+Inf",
    ]);
    const counts = les.map((le) => s.get(`hookd_hook_duration_seconds_bucket{le="${le}",${httpGet}}`) ?? -1);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    // The one-second sleep falls past the 0.5 s bucket, within 2.5 s.
    const sleep = 'phase="preStop",handler="sleep"';
    expect(s.get(`hookd_hook_duration_seconds_bucket{le="0.5",${sleep}}`)).toBe(0);
    expect(s.get(`hookd_hook_duration_seconds_bucket{le="2.5",${sleep}}`)).toBe(1);
    expect(s.get(`hookd_hook_duration_seconds_sum{${sleep}}`)).toBeGreaterThanOrEqual(1);
    expect(s.get('hookd_events_total{runtime="docker",result="handled"}')).toBe(1);
    expect(s.get('hookd_events_total{runtime="docker",result="ignored"}')).toBe(1);
    expect(s.get('hookd_events_total{runtime="docker",result="invalid"}')).toBe(1);
    // Declared before the store and deliveries count anything: a scrape shows them at once.
    expect(s.get("hookd_store_errors_total")).toBe(0);
    expect(text).toContain("# TYPE hookd_results_deliveries_total counter");
    expect(s.get("process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(s.get("nodejs_heap_size_total_bytes")).toBeGreaterThan(0);
    // Bounded labels only: no container names, IDs or addresses.
    expect(text).not.toMatch(/secret-name|c0ffee|127\.0\.0\.1/);
  });

  it("needs the token, as /v1 does", async () => {
    expect((await scrape(svc.url)).status).toBe(401);
    expect((await scrape(svc.url, "wrong")).status).toBe(401);
    const body = (await (await scrape(svc.url)).json()) as { error: { code: string } };
    expect(body.error.code).toBe("unauthorized");
  });

  it("is in /openapi.json", async () => {
    const doc = (await (await fetch(`${svc.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(doc.paths["/metrics"]).toMatchObject({ get: { responses: { "200": {}, "401": {} } } });
  });
});

describe("GET /metrics on the service without HOOKD_TOKEN (loopback only)", () => {
  it("answers without a token", async () => {
    const svc = await startService({});
    try {
      const res = await scrape(svc.url);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("# TYPE hookd_hook_runs_total counter");
    } finally {
      await svc.close();
    }
  });
});

describe("GET /metrics on the agent", () => {
  let agent: AgentServer;
  const token = "agent-metrics-t0k";
  beforeAll(async () => {
    agent = await startAgentServer({
      mode: "local",
      port: 0,
      host: "127.0.0.1",
      env: { HOOKD_AGENT_TOKEN: token },
      log: { write() {} },
    });
  });
  afterAll(() => agent.close());

  const exec = (command: string[]) => post(agent.url, "/v1/exec", { command, timeoutMs: 5_000 }, token);

  it("counts execs by outcome, behind HOOKD_AGENT_TOKEN", async () => {
    expect((await exec(["true"])).json).toMatchObject({ exitCode: 0 });
    expect((await exec(["true"])).json).toMatchObject({ exitCode: 0 });
    expect((await exec(["false"])).json).toMatchObject({ exitCode: 1 });
    expect((await scrape(agent.url)).status).toBe(401);
    const res = await scrape(agent.url, token);
    expect(res.status).toBe(200);
    const s = samples(await res.text());
    expect(s.get('hookd_agent_execs_total{mode="local",outcome="succeeded"}')).toBe(2);
    expect(s.get('hookd_agent_execs_total{mode="local",outcome="failed"}')).toBe(1);
    expect(s.get('hookd_agent_exec_duration_seconds_count{mode="local"}')).toBe(3);
    expect(s.get("process_resident_memory_bytes")).toBeGreaterThan(0);
  });
});
