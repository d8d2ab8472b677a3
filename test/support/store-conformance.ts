import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Run, RunQuery, RunSource } from "../../src/schema/run.ts";
import { RunQuerySchema } from "../../src/schema/run.ts";
import { newRunId, type OutboxEntry, type Store } from "../../src/store/port.ts";

/** A clock the suite moves by hand, so that expiry is tested without waiting hours. */
export interface TestClock {
  now(): number;
  advance(ms: number): void;
}

export interface StoreUnderTest {
  /**
   * A store on fresh, empty state, reading `clock` for every expiry. Called twice per test where
   * `shared` is true: the second store must share the first's state (another process or
   * instance on the same file, table or object).
   */
  open(options: { retentionMs: number; clock: TestClock }): Promise<Store>;
  /** Another instance on the same state as the last one `open` returned (absent: memory, one process only). */
  openAnother?: (options: { retentionMs: number; clock: TestClock }) => Promise<Store>;
}

const HOUR = 3_600_000;
const RETENTION = 24 * HOUR;
const T0 = Date.parse("2026-12-01T10:00:00.000Z");

export function runAt(time: number, change: Partial<Run> = {}, source?: RunSource): Run {
  return {
    id: newRunId(time),
    time: new Date(time).toISOString(),
    source: source ?? { runtime: "docker", containerId: "c0ffee", name: "web" },
    phase: "postStart",
    handler: "httpGet",
    container: "web",
    outcome: "succeeded",
    message: "httpGet http://127.0.0.1:8080/: status 200",
    warnings: [],
    startedAt: new Date(time).toISOString(),
    durationMs: 3,
    ...change,
  };
}

const query = (q: Record<string, unknown> = {}): RunQuery => RunQuerySchema.parse(q);

/**
 * The behaviour every Store backend owes the rest of hookd (contract §7). One describe per
 * backend: `describeStoreConformance("sqlite", { open, openAnother })`.
 */
export function describeStoreConformance(backend: string, subject: StoreUnderTest): void {
  describe(`store conformance: ${backend}`, () => {
    let at = T0;
    const clock: TestClock = {
      now: () => at,
      advance(ms) {
        at += ms;
      },
    };
    const stores: Store[] = [];
    let store: Store;
    const another = async (): Promise<Store | undefined> => {
      if (!subject.openAnother) return undefined;
      const s = await subject.openAnother({ retentionMs: RETENTION, clock });
      stores.push(s);
      return s;
    };

    beforeEach(async () => {
      at = T0;
      store = await subject.open({ retentionMs: RETENTION, clock });
      stores.push(store);
    });
    afterEach(async () => {
      for (const s of stores.splice(0)) await s.close();
    });

    it("has a name for logs and errors", () => {
      expect(store.name).toMatch(new RegExp(`^${backend}`));
    });

    describe("claims", () => {
      it("wins once per key; another key is its own claim", async () => {
        expect(await store.claim("event task/1 v3")).toBe(true);
        expect(await store.claim("event task/1 v3")).toBe(false);
        expect(await store.claim("event task/1 v4")).toBe(true);
      });

      it("exactly one of many concurrent claims on one key wins", async () => {
        const second = (await another()) ?? store;
        const wins = await Promise.all(
          Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? store : second).claim("start task/2 web r1")),
        );
        expect(wins.filter(Boolean)).toHaveLength(1);
      });

      it("a released claim can be won again (a redelivery does the work)", async () => {
        expect(await store.claim("k")).toBe(true);
        await store.release("k");
        expect(await store.claim("k")).toBe(true);
        expect(await store.claim("k")).toBe(false);
      });

      it("releasing a key that was never claimed is no error", async () => {
        await expect(store.release("never")).resolves.toBeUndefined();
      });

      it("expires after the retention, and not before", async () => {
        expect(await store.claim("k")).toBe(true);
        clock.advance(RETENTION - 1);
        expect(await store.claim("k")).toBe(false);
        clock.advance(1);
        expect(await store.claim("k")).toBe(true);
        expect(await store.claim("k")).toBe(false);
      });

      it("is seen by another instance sharing the state", async () => {
        const second = await another();
        if (!second) return;
        expect(await store.claim("shared")).toBe(true);
        expect(await second.claim("shared")).toBe(false);
        await second.release("shared");
        expect(await store.claim("shared")).toBe(true);
      });
    });

    describe("runs", () => {
      it("records a run and gives it back whole by id", async () => {
        const run = runAt(at, {
          outcome: "failed",
          reason: "FailedPostStartHook",
          statusCode: 503,
          output: "busy",
          warnings: ["w"],
        });
        await store.recordRun(run);
        expect(await store.getRun(run.id)).toEqual(run);
        expect(await store.getRun(newRunId(at))).toBeUndefined();
      });

      it("lists newest first, filtered, a page at a time with a cursor", async () => {
        const ecs: RunSource = { runtime: "ecs", cluster: "arn:c", task: "arn:task/1", runtimeId: "r1" };
        const runs: Run[] = [];
        for (let i = 0; i < 7; i++) {
          const run = runAt(
            at + i * 1000,
            {
              container: i % 2 === 0 ? "web" : "worker",
              phase: i < 5 ? "postStart" : "preStop",
              outcome: i === 3 ? "timedOut" : "succeeded",
            },
            i >= 4 ? ecs : undefined,
          );
          runs.push(run);
        }
        // Recorded out of order: the order is the ids', not the writes'.
        for (const r of [...runs].reverse()) await store.recordRun(r);
        const newestFirst = [...runs].reverse().map((r) => r.id);

        const all = await store.listRuns(query());
        expect(all.runs.map((r) => r.id)).toEqual(newestFirst);
        expect(all.next).toBeNull();

        const pages: string[] = [];
        let cursor: string | undefined;
        let pageCount = 0;
        do {
          const page = await store.listRuns(query({ limit: 3, ...(cursor && { cursor }) }));
          pages.push(...page.runs.map((r) => r.id));
          pageCount += 1;
          cursor = page.next ?? undefined;
          expect(page.runs.length).toBeLessThanOrEqual(3);
        } while (cursor);
        expect(pages).toEqual(newestFirst);
        expect(pageCount).toBe(3);

        const exact = await store.listRuns(query({ limit: 7 }));
        expect(exact.runs).toHaveLength(7);
        expect(exact.next).toBeNull();

        const ids = async (q: Record<string, unknown>) =>
          (await store.listRuns(query(q))).runs.map((r) => r.id);
        const pick = (f: (r: Run, i: number) => boolean) =>
          runs
            .filter(f)
            .reverse()
            .map((r) => r.id);
        expect(await ids({ container: "worker" })).toEqual(pick((r) => r.container === "worker"));
        expect(await ids({ task: "arn:task/1" })).toEqual(pick((_, i) => i >= 4));
        expect(await ids({ phase: "preStop" })).toEqual(pick((r) => r.phase === "preStop"));
        expect(await ids({ outcome: "timedOut" })).toEqual(pick((r) => r.outcome === "timedOut"));
        expect(await ids({ since: new Date(at + 5000).toISOString() })).toEqual(pick((_, i) => i >= 5));
        expect(await ids({ container: "web", phase: "postStart", limit: 1 })).toEqual([runs[4]?.id]);
        expect(await ids({ container: "nobody" })).toEqual([]);
      });

      it("a filtered page's cursor leads to the next match, past runs that do not match", async () => {
        for (let i = 0; i < 6; i++) {
          await store.recordRun(runAt(at + i, { container: i % 3 === 0 ? "db" : "web" }));
        }
        const first = await store.listRuns(query({ container: "db", limit: 1 }));
        expect(first.runs).toHaveLength(1);
        expect(first.next).not.toBeNull();
        const second = await store.listRuns(query({ container: "db", limit: 1, cursor: first.next }));
        expect(second.runs).toHaveLength(1);
        expect(second.next).toBeNull();
        expect((second.runs[0]?.id ?? "") < (first.runs[0]?.id ?? "")).toBe(true);
      });

      it("a run past its retention is gone from get and list", async () => {
        const old = runAt(at);
        await store.recordRun(old);
        clock.advance(HOUR);
        const young = runAt(at);
        await store.recordRun(young);
        clock.advance(RETENTION - HOUR);
        expect(await store.getRun(old.id)).toBeUndefined();
        expect(await store.getRun(young.id)).toEqual(young);
        expect((await store.listRuns(query())).runs.map((r) => r.id)).toEqual([young.id]);
        clock.advance(HOUR);
        expect((await store.listRuns(query())).runs).toEqual([]);
      });

      it("a run recorded by one instance is read by another", async () => {
        const second = await another();
        if (!second) return;
        const run = runAt(at);
        await store.recordRun(run);
        expect(await second.getRun(run.id)).toEqual(run);
        expect((await second.listRuns(query())).runs).toEqual([run]);
      });
    });

    describe("state", () => {
      it("keeps a JSON value until its time is up", async () => {
        expect(await store.getState("backoff c1")).toBeUndefined();
        await store.putState("backoff c1", { restarts: 2, restartAt: 123 }, 60_000);
        expect(await store.getState("backoff c1")).toEqual({ restarts: 2, restartAt: 123 });
        await store.putState("backoff c1", { restarts: 3, restartAt: 456 }, 60_000);
        expect(await store.getState("backoff c1")).toEqual({ restarts: 3, restartAt: 456 });
        clock.advance(60_000);
        expect(await store.getState("backoff c1")).toBeUndefined();
      });
    });

    describe("leases", () => {
      it("one holder at a time; renewed by its holder; free once expired or given up", async () => {
        const second = (await another()) ?? store;
        expect(await store.lease("engine", "watcher-a", 10_000)).toBe(true);
        expect(await second.lease("engine", "watcher-b", 10_000)).toBe(false);
        expect(await second.leaseHolder("engine")).toBe("watcher-a");
        clock.advance(9_000);
        expect(await store.lease("engine", "watcher-a", 10_000)).toBe(true);
        clock.advance(9_000);
        expect(await second.lease("engine", "watcher-b", 10_000)).toBe(false);
        clock.advance(1_000);
        expect(await second.lease("engine", "watcher-b", 10_000)).toBe(true);
        expect(await store.leaseHolder("engine")).toBe("watcher-b");
        await store.unlease("engine", "watcher-a");
        expect(await store.leaseHolder("engine")).toBe("watcher-b");
        await second.unlease("engine", "watcher-b");
        expect(await store.leaseHolder("engine")).toBeUndefined();
        expect(await store.lease("engine", "watcher-a", 10_000)).toBe(true);
      });

      it("of many concurrent takers of a free lease, one wins", async () => {
        const second = (await another()) ?? store;
        const wins = await Promise.all(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? second : store).lease("engine", `w${i}`, 10_000)),
        );
        expect(wins.filter(Boolean)).toHaveLength(1);
      });
    });

    describe("outbox", () => {
      const entry = (run: Run, dueAt: number): OutboxEntry => ({
        id: run.id,
        body: JSON.stringify({ type: "hook.result", data: run }),
        createdAt: at,
        dueAt,
        attempts: 0,
      });

      it("gives due entries to one sender at a time, then reschedules or removes them", async () => {
        const second = (await another()) ?? store;
        const a = runAt(at);
        const b = runAt(at + 1);
        await store.recordRun(a, entry(a, at));
        await store.recordRun(b, entry(b, at + 60_000));
        expect(await store.outbox.size()).toBe(2);

        const taken = await store.outbox.takeDue(at, 10, 15_000);
        expect(taken).toEqual([entry(a, at)]);
        // Leased: nobody else takes it meanwhile.
        expect(await second.outbox.takeDue(at, 10, 15_000)).toEqual([]);
        expect((await second.outbox.takeDue(at + 15_000, 10, 15_000)).map((e) => e.id)).toEqual([a.id]);

        await store.outbox.reschedule(a.id, at + 30_000, 1);
        expect(await store.outbox.takeDue(at + 29_999, 10, 15_000)).toEqual([]);
        const again = await store.outbox.takeDue(at + 60_000, 10, 15_000);
        expect(again.map((e) => [e.id, e.attempts])).toEqual([
          [a.id, 1],
          [b.id, 0],
        ]);
        await store.outbox.remove(a.id);
        await store.outbox.remove(b.id);
        expect(await store.outbox.size()).toBe(0);
        expect(await store.outbox.takeDue(at + HOUR, 10, 15_000)).toEqual([]);
      });

      it("takes at most `limit` entries", async () => {
        for (let i = 0; i < 5; i++) {
          const r = runAt(at + i);
          await store.recordRun(r, entry(r, at));
        }
        expect(await store.outbox.takeDue(at, 3, 15_000)).toHaveLength(3);
        expect(await store.outbox.takeDue(at, 3, 15_000)).toHaveLength(2);
      });
    });
  });
}
