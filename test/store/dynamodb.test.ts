import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Phase } from "../../src/schema/lifecycle.ts";
import type { Outcome } from "../../src/schema/result.ts";
import type { Run, RunSource } from "../../src/schema/run.ts";
import { createDynamoDbStore } from "../../src/store/dynamodb.ts";
import { newRunId, type Store, StoreError } from "../../src/store/port.ts";
import { type Dynalite, startDynalite } from "../support/dynalite.ts";

const HOUR = 3_600_000;
let dynalite: Dynalite;
let tables = 0;
const stores: Store[] = [];

beforeAll(async () => {
  dynalite = await startDynalite();
  // The SDK finds the endpoint, region and keys where it reads them: as hookd's processes do.
  Object.assign(process.env, dynalite.env);
});
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await dynalite.kill();
});

/** A store on a fresh table (created by the store on first use). */
function open(options: { table?: string; now?: () => number; retentionMs?: number } = {}): Store {
  const store = createDynamoDbStore({
    table: options.table ?? `hookd-test-${++tables}`,
    retentionMs: options.retentionMs ?? 168 * HOUR,
    ...(options.now && { now: options.now }),
  });
  stores.push(store);
  return store;
}

let clock = Date.parse("2026-12-07T12:00:00Z");
function run(
  fields: { container?: string; phase?: Phase; outcome?: Outcome; source?: RunSource; at?: number } = {},
): Run {
  clock += 1_000;
  const at = fields.at ?? clock;
  return {
    id: newRunId(at),
    time: new Date(at).toISOString(),
    source: fields.source ?? { runtime: "docker", containerId: "c0ffee", name: fields.container ?? "web" },
    phase: fields.phase ?? "postStart",
    handler: "httpGet",
    container: fields.container ?? "web",
    outcome: fields.outcome ?? "succeeded",
    message: "GET http://127.0.0.1:8080/ready answered 200",
    warnings: [],
    startedAt: new Date(at).toISOString(),
    durationMs: 12,
  };
}
const ecs = (task: string): RunSource => ({ runtime: "ecs", cluster: "prod", task, runtimeId: "r1" });
const ids = (runs: Run[]) => runs.map((r) => r.id);

describe("HOOKD_STORE=dynamodb:TABLE (dynalite)", () => {
  it("creates its table when it is missing, on-demand with pk and sk", async () => {
    const store = open({ table: "hookd-created" });
    expect(await store.claim("first")).toBe(true);
    const client = new DynamoDBClient({});
    const { Table } = await client.send(new DescribeTableCommand({ TableName: "hookd-created" }));
    client.destroy();
    expect(Table?.KeySchema).toEqual([
      { AttributeName: "pk", KeyType: "HASH" },
      { AttributeName: "sk", KeyType: "RANGE" },
    ]);
    expect(Table?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
  });

  it("gives a claim to exactly one of many callers at once, across clients, until released", async () => {
    const table = "hookd-claims";
    const [a, b] = [open({ table }), open({ table })];
    await a.claim("warm-up");
    const key = "ecs-event:arn:aws:ecs:eu-west-1:111122223333:task/prod/abc:7";
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claim(key)));
    expect(answers.filter(Boolean)).toHaveLength(1);
    expect(await b.claim(key)).toBe(false);
    await a.release(key);
    expect(await b.claim(key)).toBe(true);
    expect(await a.claim(key)).toBe(false);
  });

  it("lets a claim be taken again once it has expired", async () => {
    let now = Date.parse("2026-12-07T12:00:00Z");
    const store = open({ now: () => now, retentionMs: HOUR });
    expect(await store.claim("k")).toBe(true);
    now += HOUR - 1;
    expect(await store.claim("k")).toBe(false);
    now += 1;
    expect(await store.claim("k")).toBe(true);
  });

  it("records runs and lists them newest first: all, by container, by task, with filters", async () => {
    const store = open();
    const web1 = run({ container: "web" });
    const t1 = run({ container: "app", source: ecs("arn:task/1"), outcome: "failed" });
    const t2 = run({ container: "app", source: ecs("arn:task/2"), phase: "preStop" });
    const t1b = run({ container: "sidecar", source: ecs("arn:task/1") });
    for (const r of [web1, t1, t2, t1b]) await store.recordRun(r);

    expect(ids((await store.listRuns({ limit: 50 })).runs)).toEqual(ids([t1b, t2, t1, web1]));
    expect(ids((await store.listRuns({ container: "app", limit: 50 })).runs)).toEqual(ids([t2, t1]));
    expect(ids((await store.listRuns({ task: "arn:task/1", limit: 50 })).runs)).toEqual(ids([t1b, t1]));
    expect(ids((await store.listRuns({ task: "arn:task/1", container: "app", limit: 50 })).runs)).toEqual(
      ids([t1]),
    );
    expect(ids((await store.listRuns({ outcome: "failed", limit: 50 })).runs)).toEqual(ids([t1]));
    expect(ids((await store.listRuns({ phase: "preStop", limit: 50 })).runs)).toEqual(ids([t2]));
    expect(ids((await store.listRuns({ since: t2.time, limit: 50 })).runs)).toEqual(ids([t1b, t2]));
    expect(await store.getRun(t2.id)).toEqual(t2);
    expect(await store.getRun(newRunId())).toBeUndefined();
  });

  it("pages with a cursor, and the last page has no next", async () => {
    const store = open();
    const all = Array.from({ length: 7 }, () => run({ container: "pager" }));
    for (const r of all) await store.recordRun(r);
    const newest = ids(all).reverse();
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const { runs, next } = await store.listRuns({
        container: "pager",
        limit: 3,
        ...(cursor && { cursor }),
      });
      seen.push(...ids(runs));
      if (next === null) break;
      cursor = next;
    }
    expect(seen).toEqual(newest);
    const exact = await store.listRuns({ container: "pager", limit: 7 });
    expect(exact.next).toBeNull();
    const since = await store.listRuns({
      container: "pager",
      limit: 2,
      since: all[3]?.time ?? "",
      cursor: newest[1] ?? "",
    });
    expect(ids(since.runs)).toEqual(newest.slice(2, 4));
  });

  it("forgets runs, state and leases past their time, though the table keeps them (no TTL locally)", async () => {
    let now = Date.parse("2026-12-07T12:00:00Z");
    const store = open({ now: () => now, retentionMs: HOUR });
    const old = run({ at: now });
    await store.recordRun(old);
    await store.putState("backoff:c1", { delayMs: 20_000 }, 10_000);
    expect(await store.getState("backoff:c1")).toEqual({ delayMs: 20_000 });
    now += 10_000;
    expect(await store.getState("backoff:c1")).toBeUndefined();
    expect(await store.getRun(old.id)).toEqual(old);
    now += HOUR;
    expect(await store.getRun(old.id)).toBeUndefined();
    expect((await store.listRuns({ limit: 50 })).runs).toEqual([]);
  });

  it("leases a key to one owner at a time, renewed by it, free once expired or given back", async () => {
    let now = Date.parse("2026-12-07T12:00:00Z");
    const store = open({ now: () => now });
    const engine = "docker:/var/run/docker.sock";
    const first = await Promise.all([store.lease(engine, "a", 5_000), store.lease(engine, "b", 5_000)]);
    expect(first.filter(Boolean)).toHaveLength(1);
    const [holder, other] = first[0] ? ["a", "b"] : ["b", "a"];
    expect(await store.leaseHolder(engine)).toBe(holder);
    expect(await store.lease(engine, holder, 5_000)).toBe(true);
    await store.unlease(engine, other);
    expect(await store.leaseHolder(engine)).toBe(holder);
    now += 5_000;
    expect(await store.leaseHolder(engine)).toBeUndefined();
    expect(await store.lease(engine, other, 5_000)).toBe(true);
    await store.unlease(engine, other);
    expect(await store.leaseHolder(engine)).toBeUndefined();
  });

  it("keeps an outbox: due entries leased to one taker, rescheduled, removed, counted", async () => {
    const table = "hookd-outbox";
    const [a, b] = [open({ table }), open({ table })];
    const t0 = Date.parse("2026-12-07T12:00:00Z");
    const lease = 10 * 60_000;
    const runs = [run(), run(), run()];
    const [first, second, third] = runs.map((r) => r.id);
    for (const [i, r] of runs.entries()) {
      await a.recordRun(r, {
        id: r.id,
        body: `{"n":${i}}`,
        createdAt: t0,
        dueAt: t0 + i * 1_000,
        attempts: 0,
      });
    }
    expect(await a.outbox.size()).toBe(3);
    const taken = await Promise.all([
      a.outbox.takeDue(t0 + 1_000, 10, lease),
      b.outbox.takeDue(t0 + 1_000, 10, lease),
    ]);
    expect(
      taken
        .flat()
        .map((e) => e.id)
        .sort(),
    ).toEqual([first, second].sort());
    expect(await a.outbox.takeDue(t0 + 2_000, 10, lease)).toEqual([
      { id: third, body: '{"n":2}', createdAt: t0, dueAt: t0 + 2_000, attempts: 0 },
    ]);
    await a.outbox.reschedule(first ?? "", t0 + 60_000, 1);
    expect(await b.outbox.takeDue(t0 + 59_999, 10, lease)).toEqual([]);
    expect(await b.outbox.takeDue(t0 + 60_000, 10, lease)).toEqual([
      { id: first, body: '{"n":0}', createdAt: t0, dueAt: t0 + 60_000, attempts: 1 },
    ]);
    // A lease that ran out (its sender died) lets another sender take the entry.
    expect((await a.outbox.takeDue(t0 + 1_000 + lease, 10, lease)).map((e) => e.id)).toEqual([second]);
    for (const r of runs) await a.outbox.remove(r.id);
    expect(await a.outbox.size()).toBe(0);
  });

  it("fails with a StoreError naming the table, within its deadline, when DynamoDB is gone", async () => {
    const gone = await startDynalite();
    const store = createDynamoDbStore({
      table: "hookd-gone",
      retentionMs: HOUR,
      timeoutMs: 2_000,
      client: { endpoint: gone.endpoint },
    });
    stores.push(store);
    expect(await store.claim("before")).toBe(true);
    await gone.kill();
    const started = Date.now();
    const err = await store.claim("after").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(String(err)).toMatch(/dynamodb:hookd-gone: PutItem \(claim\) failed/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
