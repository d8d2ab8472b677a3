import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeServer } from "../../src/entry/node.ts";
import { type EcsHarness, lifecycleLabel, startEcsHarness } from "../ecs/harness.ts";
import { scrapeSample } from "../support/metrics.ts";
import { runHttpGetHook, startService, startTarget, type TestTarget } from "../support/servers.ts";
import { tempDir } from "../support/temp-dir.ts";

const TOKEN = "runs-t0k";
type Json = Record<string, unknown>;

/** `token` null: no Authorization header. */
async function get(base: string, path: string, token: string | null = TOKEN) {
  const res = await fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, json: (await res.json()) as Json };
}

const runsOf = (json: Json) => json.runs as Json[];

describe("GET /v1/runs and /v1/runs/{id}: every hook result recorded", () => {
  const dir = tempDir("hookd-runs");
  let svc: NodeServer;
  let target: TestTarget;
  beforeAll(async () => {
    svc = await startService({ HOOKD_TOKEN: TOKEN, HOOKD_STORE: `sqlite:${join(dir, "runs.db")}` });
    target = await startTarget((req, res) => res.writeHead(req.url === "/bad" ? 503 : 200).end("hi"));
  });
  afterAll(async () => {
    await svc.close();
    await target.close();
  });

  const runHook = (path: string, name: string) =>
    runHttpGetHook(svc.url, TOKEN, { path, port: target.port, name });

  it("records a hook run through the API with an id, a time and its source, readable by id", async () => {
    const before = Date.now();
    const ran = await runHook("/ok", "api-one");
    expect(ran.status).toBe(200);
    expect(ran.json.warnings).toEqual([]);
    const { status, json } = await get(svc.url, "/v1/runs?container=api-one");
    expect(status).toBe(200);
    expect(json.next).toBeNull();
    const [run] = runsOf(json);
    expect(run).toMatchObject({
      ...ran.json,
      source: { runtime: "api" },
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
    });
    expect(Date.parse(String(run?.time))).toBeGreaterThanOrEqual(before - 1);
    const one = await get(svc.url, `/v1/runs/${String(run?.id)}`);
    expect(one).toEqual({ status: 200, json: run });
  });

  it("lists newest first, filtered, a page at a time", async () => {
    for (const path of ["/ok", "/bad", "/ok", "/bad", "/ok"]) await runHook(path, "paged");
    const all = runsOf((await get(svc.url, "/v1/runs?container=paged")).json);
    expect(all).toHaveLength(5);
    const ids = all.map((r) => String(r.id));
    expect([...ids].sort().reverse()).toEqual(ids);
    expect(all.map((r) => r.outcome)).toEqual(["succeeded", "failed", "succeeded", "failed", "succeeded"]);

    const failed = runsOf((await get(svc.url, "/v1/runs?container=paged&outcome=failed")).json);
    expect(failed.map((r) => r.id)).toEqual([ids[1], ids[3]]);

    const seen: string[] = [];
    let next: unknown = null;
    do {
      const cursor = next === null ? "" : `&cursor=${String(next)}`;
      const page = (await get(svc.url, `/v1/runs?container=paged&limit=2${cursor}`)).json;
      seen.push(...runsOf(page).map((r) => String(r.id)));
      next = page.next;
    } while (next !== null);
    expect(seen).toEqual(ids);

    const later = runsOf((await get(svc.url, `/v1/runs?since=${String(all[1]?.time)}&container=paged`)).json);
    expect(later.map((r) => r.id)).toEqual(ids.slice(0, 2));
    expect(runsOf((await get(svc.url, "/v1/runs?phase=preStop&container=paged")).json)).toEqual([]);
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=501", "limit"],
    ["limit=ten", "limit"],
    ["phase=postStop", "phase"],
    ["outcome=ok", "outcome"],
    ["since=yesterday", "since"],
    ["cursor=garbage", "cursor"],
    ["colour=red", ""],
  ])("refuses %s with a 400 naming the parameter", async (q, field) => {
    const { status, json } = await get(svc.url, `/v1/runs?${q}`);
    expect(status).toBe(400);
    const error = json.error as { code: string; message: string; issues: Array<{ path: string }> };
    expect(error.code).toBe("invalid_request");
    expect(error.message).toContain(field || "colour");
    expect(error.issues.length).toBeGreaterThan(0);
  });

  it("limit defaults to 50 and goes up to 500", async () => {
    expect((await get(svc.url, "/v1/runs?limit=500")).status).toBe(200);
    expect((await get(svc.url, "/v1/runs?limit=1")).status).toBe(200);
  });

  it("404 for a run it does not know; 401 without the token", async () => {
    const missing = await get(svc.url, "/v1/runs/0190d6c1-0000-7000-8000-000000000000");
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ error: { code: "run_not_found" } });
    expect((await get(svc.url, "/v1/runs", null)).status).toBe(401);
    expect((await get(svc.url, "/v1/runs/x", "nope")).status).toBe(401);
  });

  it("both routes are in /openapi.json", async () => {
    const doc = (await (await fetch(`${svc.url}/openapi.json`)).json()) as { paths: Record<string, Json> };
    expect(doc.paths["/v1/runs"]).toHaveProperty("get");
    expect(doc.paths["/v1/runs/{id}"]).toHaveProperty("get");
    const list = doc.paths["/v1/runs"]?.get as { parameters?: Array<{ name: string }> } | undefined;
    const params = list?.parameters ?? [];
    expect(params.map((p) => p.name)).toEqual(
      expect.arrayContaining(["container", "task", "phase", "outcome", "since", "limit", "cursor"]),
    );
  });
});

describe("the store down (its file locked by another process's transaction)", () => {
  const dir = tempDir("hookd-store-down");
  const file = join(dir, "down.db");
  let h: EcsHarness;
  let target: TestTarget;
  let lock: DatabaseSync;
  beforeAll(async () => {
    h = await startEcsHarness({ HOOKD_STORE: `sqlite:${file}` });
    target = await startTarget((_req, res) => res.writeHead(200).end("ok"));
    lock = new DatabaseSync(file);
  });
  afterAll(async () => {
    if (lock.isTransaction) lock.exec("ROLLBACK");
    lock.close();
    await h.close();
    await target.close();
  });
  const locked = async <T>(work: () => Promise<T>): Promise<T> => {
    lock.exec("BEGIN EXCLUSIVE");
    try {
      return await work();
    } finally {
      lock.exec("ROLLBACK");
    }
  };
  const storeErrors = () => scrapeSample(h.svc.url, "ecs-t0k", "hookd_store_errors_total");

  it("POST /v1/hooks/run still runs the hook and says in warnings that it was not recorded", async () => {
    const body = {
      phase: "postStart",
      handler: { httpGet: { path: "/api", port: target.port } },
      container: { name: "unrecorded", ip: "127.0.0.1" },
    };
    expect(await storeErrors()).toBe(0);
    const { status, json } = await locked(() => h.post("/v1/hooks/run", body));
    expect(status).toBe(200);
    expect(json.outcome).toBe("succeeded");
    expect(target.requests.filter((r) => r.url === "/api")).toHaveLength(1);
    expect(json.warnings).toEqual([expect.stringMatching(/not recorded: sqlite:.*down\.db/)]);
    const runs = runsOf((await get(h.svc.url, "/v1/runs?container=unrecorded", "ecs-t0k")).json);
    expect(runs).toEqual([]);
    // The one failed store call (the recorder's), counted once.
    expect(await storeErrors()).toBe(1);
  });

  it("the ECS route answers 503 and runs nothing; the retry once the store is back runs the hook once", async () => {
    const arn = h.taskDefinition([
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel({
          postStart: { httpGet: { path: "/started", port: target.port } },
          preStop: { httpGet: { path: "/stopping", port: target.port } },
        }),
        portMappings: [],
      },
    ]);
    const event = h.running(arn);
    const errorsBefore = (await storeErrors()) ?? Number.NaN;
    for (const path of ["/v1/events/ecs", "/v1/events/ecs?wait=true"]) {
      const down = await locked(() => h.post(path, event));
      expect(down.status, path).toBe(503);
      expect(down.json).toMatchObject({ error: { code: "store_unavailable" } });
    }
    const stop = await locked(() =>
      h.post("/v1/ecs/tasks/stop", { cluster: event.detail.clusterArn, task: event.detail.taskArn }),
    );
    expect(stop.status).toBe(503);
    expect(target.requests.filter((r) => r.url === "/started" || r.url === "/stopping")).toHaveLength(0);
    // Each of the three answers came from one failed claim, each counted once.
    expect(await storeErrors()).toBe(errorsBefore + 3);

    const retried = await h.post("/v1/events/ecs?wait=true", event);
    expect(retried.status).toBe(200);
    expect((retried.json.results as Json[]).map((r) => r.outcome)).toEqual(["succeeded"]);
    const again = await h.post("/v1/events/ecs?wait=true", event);
    expect(again.json.duplicate).toBeDefined();
    expect(target.requests.filter((r) => r.url === "/started")).toHaveLength(1);
    expect(await storeErrors()).toBe(errorsBefore + 3);

    const runs = runsOf((await get(h.svc.url, `/v1/runs?task=${event.detail.taskArn}`, "ecs-t0k")).json);
    expect(runs).toMatchObject([
      {
        container: "FargateApp",
        phase: "postStart",
        source: { runtime: "ecs", cluster: event.detail.clusterArn, task: event.detail.taskArn },
      },
    ]);
  });
});
