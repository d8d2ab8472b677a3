import { DurableObject, type DurableObjectState, type SqlStorage } from "cloudflare:workers";
import { consoleLogger } from "../platform/web/console-log.ts";
import type { Run, RunQuery } from "../schema/run.ts";
import { flushOutbox, type ResultsSettings } from "./flush.ts";
import { type OutboxEntry, type Store, StoreError } from "./port.ts";
import { createSqlStore, createTables, type SqlDb, type SqlStore } from "./sql-common.ts";

/** HOOKD_RETENTION_HOURS's default (contract §6). */
const DEFAULT_RETENTION_HOURS = 168;

/**
 * HOOKD_STORE=durable-object: one SQLite-backed Durable Object (this class, exported by the
 * Worker, bound as HOOKD_STORE in wrangler.toml) holds hookd's state for every isolate. Each
 * method runs to completion before the next call (no await inside), so a claim is atomic.
 * Its alarm sends the results outbox's due entries: retries need no request to wake them.
 * Writes need no batching of ours here: the object's storage already coalesces the writes made
 * between two awaits into one atomic commit, confirmed before the answer leaves the object.
 */
export class HookdStore extends DurableObject {
  private readonly sql: SqlStore;

  private readonly results: ResultsSettings;

  constructor(ctx: DurableObjectState, env: Record<string, unknown>) {
    super(ctx, env);
    // The Worker has checked the setting before its first call here (contract §6).
    const hours = Number(env.HOOKD_RETENTION_HOURS ?? DEFAULT_RETENTION_HOURS);
    const retentionMs = (Number.isFinite(hours) && hours > 0 ? hours : DEFAULT_RETENTION_HOURS) * 3_600_000;
    this.sql = openObjectSql(ctx.storage.sql, retentionMs);
    const text = (name: string) =>
      typeof env[name] === "string" && env[name] !== "" ? env[name] : undefined;
    this.results = { resultsUrl: text("HOOKD_RESULTS_URL"), resultsSecret: text("HOOKD_RESULTS_SECRET") };
  }

  claim(key: string): boolean {
    return this.sql.claim(key);
  }
  release(key: string): void {
    this.sql.release(key);
  }
  async recordRun(run: Run, delivery?: OutboxEntry): Promise<void> {
    this.sql.recordRuns([{ run, delivery }]);
    if (delivery) await this.armAlarm();
  }
  getRun(id: string): Run | undefined {
    return this.sql.getRun(id);
  }
  listRuns(query: RunQuery): { runs: Run[]; next: string | null } {
    return this.sql.listRuns(query);
  }
  getState(key: string): unknown {
    return this.sql.getState(key);
  }
  putState(key: string, value: unknown, ttlMs: number): void {
    this.sql.putState(key, value, ttlMs);
  }
  lease(key: string, owner: string, ttlMs: number): boolean {
    return this.sql.lease(key, owner, ttlMs);
  }
  leaseHolder(key: string): string | undefined {
    return this.sql.leaseHolder(key);
  }
  unlease(key: string, owner: string): void {
    this.sql.unlease(key, owner);
  }
  takeDue(now: number, limit: number, leaseMs: number): OutboxEntry[] {
    return this.sql.takeDue(now, limit, leaseMs);
  }
  removeEntry(id: string): void {
    this.sql.removeEntry(id);
  }
  async reschedule(id: string, dueAt: number, attempts: number): Promise<void> {
    this.sql.reschedule(id, dueAt, attempts);
    await this.armAlarm();
  }
  outboxSize(): number {
    return this.sql.outboxSize();
  }

  /** Retries of deliveries: the outbox's due entries, sent from inside the object. */
  async alarm(): Promise<void> {
    await flushOutbox(this.localStore(), this.results, consoleLogger);
    await this.armAlarm();
  }

  /** Wakes the object when the next outbox entry is due (never later than an alarm already set). */
  private async armAlarm(): Promise<void> {
    const due = this.sql.nextDue();
    if (due === null) return;
    const set = await this.ctx.storage.getAlarm();
    if (set === null || set > due) await this.ctx.storage.setAlarm(Math.max(due, Date.now()));
  }

  /** The Store the alarm's flush works on: this object's own tables, no RPC. */
  private localStore(): Store {
    return durableObjectStore(() => this, 0, "durable-object (alarm)");
  }
}

/** The shared SQL (sql-common.ts) on a Durable Object's SQL storage, its tables created. */
export function openObjectSql(storage: SqlStorage, retentionMs: number, now?: () => number): SqlStore {
  const db: SqlDb = {
    all: (sql, ...params) => storage.exec(sql, ...params).toArray(),
    run: (sql, ...params) => storage.exec(sql, ...params).rowsWritten,
  };
  createTables(db);
  return createSqlStore(db, { retentionMs, now });
}

/** What the Worker holds: the namespace bound as HOOKD_STORE. */
export interface HookdStoreNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): HookdStoreApi;
}

/** The object's methods as the Worker calls them (RPC: every answer is a promise). */
type HookdStoreApi = {
  [K in keyof HookdStore as HookdStore[K] extends (...args: never[]) => unknown
    ? K
    : never]: HookdStore[K] extends (...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never;
};

/** Whether a binding is a Durable Object namespace (HOOKD_STORE bound in wrangler.toml). */
export function isHookdStoreNamespace(binding: unknown): binding is HookdStoreNamespace {
  return (
    typeof binding === "object" &&
    binding !== null &&
    "idFromName" in binding &&
    typeof binding.idFromName === "function" &&
    "get" in binding &&
    typeof binding.get === "function"
  );
}

/**
 * The Store of a Worker: every call goes to the one object named "hookd", within `timeoutMs`.
 * One object is one thread: ample for hook traffic (thousands of small calls per second).
 * A stub belongs to the request that made it (workerd refuses its I/O from another request:
 * "Cannot perform I/O on behalf of a different request"), and the Worker keeps this store for
 * the isolate's life: each call gets a stub of its own, which costs no I/O.
 */
export function createDurableObjectStore(namespace: HookdStoreNamespace, timeoutMs = 5_000): Store {
  return durableObjectStore(() => namespace.get(namespace.idFromName("hookd")), timeoutMs, "durable-object");
}

/** `api` gives the object (or a stub of it) to call; `timeoutMs` 0: no deadline (inside the object). */
function durableObjectStore(api: () => HookdStoreApi | HookdStore, timeoutMs: number, name: string): Store {
  const call = async <T>(operation: string, send: () => T | Promise<T>): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const answer = Promise.resolve().then(send);
      if (timeoutMs === 0) return await answer;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
      });
      return await Promise.race([answer, late]);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new StoreError(`${name}: ${operation} failed: ${why}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    name,
    claim: (key) => call("claim", () => api().claim(key)),
    release: (key) => call("release", () => api().release(key)),
    recordRun: (run, delivery) => call("recordRun", () => api().recordRun(run, delivery)),
    getRun: (id) => call("getRun", () => api().getRun(id)),
    listRuns: (query) => call("listRuns", () => api().listRuns(query)),
    getState: (key) => call("getState", () => api().getState(key)),
    putState: (key, value, ttlMs) => call("putState", () => api().putState(key, value, ttlMs)),
    lease: (key, owner, ttlMs) => call("lease", () => api().lease(key, owner, ttlMs)),
    leaseHolder: (key) => call("leaseHolder", () => api().leaseHolder(key)),
    unlease: (key, owner) => call("unlease", () => api().unlease(key, owner)),
    outbox: {
      takeDue: (now, limit, leaseMs) => call("takeDue", () => api().takeDue(now, limit, leaseMs)),
      remove: (id) => call("remove", () => api().removeEntry(id)),
      reschedule: (id, dueAt, attempts) => call("reschedule", () => api().reschedule(id, dueAt, attempts)),
      size: () => call("size", () => api().outboxSize()),
    },
    async close() {},
  };
}
