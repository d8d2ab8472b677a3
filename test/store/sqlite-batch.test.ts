import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { RunQuerySchema } from "../../src/schema/run.ts";
import { type Store, StoreError } from "../../src/store/port.ts";
import { createSqliteStore } from "../../src/store/sqlite.ts";
import { runAt } from "../support/store-conformance.ts";
import { tempDir } from "../support/temp-dir.ts";

const RETENTION = 24 * 3_600_000;
const T0 = Date.parse("2026-12-01T10:00:00.000Z");

/**
 * The sqlite store writes the runs of a burst in one transaction per batch: every caller's
 * promise settles when its batch commits (then the run is in the file, for every process), or
 * rejects when its batch fails (then none of that batch is in the file).
 */
describe("sqlite store: a burst of recordRun calls", () => {
  const dir = tempDir("hookd-batch");
  let files = 0;
  const opened: Store[] = [];
  const open = (path: string, more: { busyTimeoutMs?: number; maxBatch?: number } = {}) => {
    const store = createSqliteStore({ path, retentionMs: RETENTION, now: () => T0, ...more });
    opened.push(store);
    return store;
  };
  const freshFile = () => join(dir, `b${++files}.db`);
  const runs = (n: number, container = "web") =>
    Array.from({ length: n }, (_, i) => runAt(T0 + i, { container: `${container}-${i % 7}` }));
  const allIds = async (store: Store) => {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listRuns(RunQuerySchema.parse({ limit: 500, ...(cursor && { cursor }) }));
      ids.push(...page.runs.map((r) => r.id));
      cursor = page.next ?? undefined;
    } while (cursor);
    return ids.sort();
  };
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
  });

  it("2,000 concurrent calls all land, and another connection reads every one back", async () => {
    const path = freshFile();
    const store = open(path);
    const burst = runs(2_000);
    await Promise.all(burst.map((run) => store.recordRun(run)));

    const other = open(path);
    expect(await allIds(other)).toEqual(burst.map((r) => r.id).sort());
    const sample = burst[1_234];
    if (!sample) throw new Error("no sample");
    expect(await other.getRun(sample.id)).toEqual(sample);
  });

  it("a burst larger than the batch cap is written in several batches, all of it", async () => {
    const path = freshFile();
    const store = open(path, { maxBatch: 7 });
    const burst = runs(100);
    await Promise.all(burst.map((run) => store.recordRun(run)));
    expect(await allIds(open(path))).toEqual(burst.map((r) => r.id).sort());
  });

  it("runs recorded by a second instance at the same time land too", async () => {
    const path = freshFile();
    const [a, b] = [open(path), open(path)];
    const one = runs(300, "a");
    const two = runs(300, "b");
    await Promise.all([...one.map((r) => a.recordRun(r)), ...two.map((r) => b.recordRun(r))]);
    expect(await allIds(a)).toEqual([...one, ...two].map((r) => r.id).sort());
  });

  it("a batch that cannot be written rejects every caller with a StoreError naming the store; none of it is kept", async () => {
    const path = freshFile();
    const store = open(path, { busyTimeoutMs: 50 });
    // Another process holds the write lock for longer than this store waits for it.
    const holder = new DatabaseSync(path);
    holder.exec("BEGIN IMMEDIATE");
    const burst = runs(50);
    const settled = await Promise.allSettled(burst.map((run) => store.recordRun(run)));
    holder.exec("ROLLBACK");
    holder.close();

    expect(settled.every((s) => s.status === "rejected")).toBe(true);
    for (const [i, s] of settled.entries()) {
      const err: unknown = s.status === "rejected" ? s.reason : undefined;
      expect(err).toBeInstanceOf(StoreError);
      expect(String(err)).toContain(`sqlite:${path}: record run ${burst[i]?.id} failed`);
      expect(String(err)).toMatch(/locked|busy/i);
    }
    expect(await allIds(store)).toEqual([]);

    // The lock gone, the next burst lands.
    const next = runs(20, "after");
    await Promise.all(next.map((run) => store.recordRun(run)));
    expect(await allIds(store)).toEqual(next.map((r) => r.id).sort());
  });

  it("runs still waiting for their batch are written when the store closes", async () => {
    const path = freshFile();
    const store = createSqliteStore({ path, retentionMs: RETENTION, now: () => T0 });
    const burst = runs(30);
    const recorded = Promise.all(burst.map((run) => store.recordRun(run)));
    await store.close();
    await recorded;
    expect(await allIds(open(path))).toEqual(burst.map((r) => r.id).sort());
  });
});

describe("tables made by an earlier build", () => {
  const dir = tempDir("hookd-migrate");

  it("a runs table whose JSON column is `data` (the Durable Object's first schema) is renamed in place, its runs kept", async () => {
    const path = join(dir, "old.db");
    const old = new DatabaseSync(path);
    old.exec(`CREATE TABLE runs (id TEXT PRIMARY KEY, container TEXT NOT NULL, task TEXT,
      phase TEXT NOT NULL, outcome TEXT NOT NULL, time_ms INTEGER NOT NULL, data TEXT NOT NULL,
      expires_at INTEGER NOT NULL)`);
    const kept = runAt(T0, { container: "before-upgrade" });
    old
      .prepare("INSERT INTO runs VALUES (?, ?, NULL, ?, ?, ?, ?, ?)")
      .run(kept.id, kept.container, kept.phase, kept.outcome, T0, JSON.stringify(kept), T0 + RETENTION);
    old.close();

    const store = createSqliteStore({ path, retentionMs: RETENTION, now: () => T0 });
    try {
      expect(await store.getRun(kept.id)).toEqual(kept);
      const added = runAt(T0 + 1, { container: "after-upgrade" });
      await store.recordRun(added);
      expect(await store.getRun(added.id)).toEqual(added);
    } finally {
      await store.close();
    }
  });
});
