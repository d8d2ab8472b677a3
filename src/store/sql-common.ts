import { type Run, type RunQuery, RunSchema } from "../schema/run.ts";
import type { OutboxEntry } from "./port.ts";

/*
 * The Store's semantics in SQL, shared by the two SQLite stores: node:sqlite (sqlite.ts) and a
 * Durable Object's SQL storage (durable-object.ts). Each backend hands over a tiny SqlDb and
 * decides itself how its calls are made atomic, fail and are timed (node:sqlite: a transaction
 * per batch, StoreError; the Durable Object: one synchronous method inside the object). Every
 * method here is synchronous. Expired rows are never answered, and are deleted by a purge that
 * runs on writes at most every `purgeEveryMs`.
 */

/** What a statement's `?` can be bound to in both backends. */
export type SqlParam = string | number | null;
export type SqlRow = Record<string, unknown>;

/** The only thing the shared SQL needs of a backend. */
export interface SqlDb {
  /** The rows a statement returns (a SELECT, or a write with RETURNING). */
  all(sql: string, ...params: SqlParam[]): SqlRow[];
  /** Runs a write; how many rows it changed. */
  run(sql: string, ...params: SqlParam[]): number;
}

const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID",
  `CREATE TABLE IF NOT EXISTS runs (
     id TEXT PRIMARY KEY, time_ms INTEGER NOT NULL, container TEXT NOT NULL, task TEXT,
     phase TEXT NOT NULL, outcome TEXT NOT NULL, expires_at INTEGER NOT NULL, body TEXT NOT NULL
   ) WITHOUT ROWID`,
  "CREATE INDEX IF NOT EXISTS runs_by_container ON runs (container, id)",
  "CREATE INDEX IF NOT EXISTS runs_by_task ON runs (task, id)",
  "CREATE INDEX IF NOT EXISTS runs_by_expiry ON runs (expires_at)",
  "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID",
  "CREATE TABLE IF NOT EXISTS leases (key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID",
  `CREATE TABLE IF NOT EXISTS outbox (
     id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at INTEGER NOT NULL, due_at INTEGER NOT NULL,
     attempts INTEGER NOT NULL, leased_until INTEGER NOT NULL
   ) WITHOUT ROWID`,
  "CREATE INDEX IF NOT EXISTS outbox_by_due ON outbox (due_at)",
];

/** Every table with an expires_at column is purged the same way. */
const EXPIRING = ["claims", "runs", "state", "leases"] as const;

/** A run to write, and (with results delivery on) its outbox entry, in the same transaction. */
export interface RunWrite {
  run: Run;
  delivery?: OutboxEntry | undefined;
}

/** The Store's methods over SqlDb, synchronous; the outbox's are flat (takeDue, removeEntry…). */
export interface SqlStore {
  claim(key: string): boolean;
  release(key: string): void;
  /** Writes the runs; the caller makes them one transaction. */
  recordRuns(writes: readonly RunWrite[]): void;
  getRun(id: string): Run | undefined;
  listRuns(query: RunQuery): { runs: Run[]; next: string | null };
  getState(key: string): unknown;
  putState(key: string, value: unknown, ttlMs: number): void;
  lease(key: string, owner: string, ttlMs: number): boolean;
  leaseHolder(key: string): string | undefined;
  unlease(key: string, owner: string): void;
  takeDue(now: number, limit: number, leaseMs: number): OutboxEntry[];
  removeEntry(id: string): void;
  reschedule(id: string, dueAt: number, attempts: number): void;
  outboxSize(): number;
  /** When the next outbox entry is due or its lease ends (for an alarm), or null when it is empty. */
  nextDue(): number | null;
}

export interface SqlStoreOptions {
  retentionMs: number;
  now?: (() => number) | undefined;
  /** Default one minute; 0 purges on every write (tests). */
  purgeEveryMs?: number | undefined;
}

/** Creates the tables and indexes that are missing (the caller may make it one transaction). */
export function createTables(db: SqlDb): void {
  // Earlier builds of the Durable Object store named the run's JSON `data`: renamed in place.
  const columns = db.all("SELECT name FROM pragma_table_info('runs')").map((c) => c.name);
  if (columns.includes("data") && !columns.includes("body")) {
    db.run("ALTER TABLE runs RENAME COLUMN data TO body");
  }
  for (const statement of SCHEMA) db.run(statement);
}

/** Answers the Store's calls over tables that createTables made. */
export function createSqlStore(db: SqlDb, options: SqlStoreOptions): SqlStore {
  const now = options.now ?? Date.now;
  const purgeEveryMs = options.purgeEveryMs ?? 60_000;
  const { retentionMs } = options;
  let lastPurge = 0;
  const purgeIfDue = () => {
    const at = now();
    if (at - lastPurge < purgeEveryMs) return;
    lastPurge = at;
    for (const table of EXPIRING) db.run(`DELETE FROM ${table} WHERE expires_at <= ?`, at);
  };
  const one = (sql: string, ...params: SqlParam[]): SqlRow | undefined => db.all(sql, ...params)[0];

  return {
    claim(key) {
      purgeIfDue();
      const at = now();
      // Inserted, or taken over from an expired claim not purged yet: a live one is left alone
      // (no row written), so exactly one caller sees a change.
      return (
        db.run(
          `INSERT INTO claims (key, expires_at) VALUES (?, ?)
           ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE claims.expires_at <= ?`,
          key,
          at + retentionMs,
          at,
        ) > 0
      );
    },
    release(key) {
      db.run("DELETE FROM claims WHERE key = ?", key);
    },
    recordRuns(writes) {
      purgeIfDue();
      for (const { run, delivery } of writes) {
        const time = Date.parse(run.time);
        db.run(
          `INSERT OR REPLACE INTO runs (id, time_ms, container, task, phase, outcome, expires_at, body)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          run.id,
          time,
          run.container,
          run.source.runtime === "ecs" ? run.source.task : null,
          run.phase,
          run.outcome,
          time + retentionMs,
          JSON.stringify(run),
        );
        if (delivery) {
          db.run(
            `INSERT OR REPLACE INTO outbox (id, body, created_at, due_at, attempts, leased_until)
             VALUES (?, ?, ?, ?, ?, 0)`,
            delivery.id,
            delivery.body,
            delivery.createdAt,
            delivery.dueAt,
            delivery.attempts,
          );
        }
      }
    },
    getRun(id) {
      const row = one("SELECT body FROM runs WHERE id = ? AND expires_at > ?", id, now());
      return row ? runOf(row.body) : undefined;
    },
    listRuns: (query) => listRuns(db, query, now()),
    getState(key) {
      const row = one("SELECT value FROM state WHERE key = ? AND expires_at > ?", key, now());
      return row ? JSON.parse(String(row.value)) : undefined;
    },
    putState(key, value, ttlMs) {
      purgeIfDue();
      db.run(
        "INSERT OR REPLACE INTO state (key, value, expires_at) VALUES (?, ?, ?)",
        key,
        JSON.stringify(value),
        now() + ttlMs,
      );
    },
    lease(key, owner, ttlMs) {
      const at = now();
      return (
        db.run(
          `INSERT INTO leases (key, owner, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
           WHERE leases.owner = excluded.owner OR leases.expires_at <= ?`,
          key,
          owner,
          at + ttlMs,
          at,
        ) > 0
      );
    },
    leaseHolder(key) {
      const row = one("SELECT owner FROM leases WHERE key = ? AND expires_at > ?", key, now());
      return row ? String(row.owner) : undefined;
    },
    unlease(key, owner) {
      db.run("DELETE FROM leases WHERE key = ? AND owner = ?", key, owner);
    },
    takeDue(at, limit, leaseMs) {
      // One statement: concurrent senders never take the same entry.
      const rows = db.all(
        `UPDATE outbox SET leased_until = ? WHERE id IN (
           SELECT id FROM outbox WHERE due_at <= ? AND leased_until <= ? ORDER BY due_at LIMIT ?
         ) RETURNING id, body, created_at, due_at, attempts`,
        at + leaseMs,
        at,
        at,
        limit,
      );
      return rows.map(outboxEntry).sort((a, b) => a.dueAt - b.dueAt);
    },
    removeEntry(id) {
      db.run("DELETE FROM outbox WHERE id = ?", id);
    },
    reschedule(id, dueAt, attempts) {
      db.run(
        "UPDATE outbox SET due_at = ?, attempts = ?, leased_until = 0 WHERE id = ?",
        dueAt,
        attempts,
        id,
      );
    },
    outboxSize: () => Number(one("SELECT count(*) AS n FROM outbox")?.n ?? 0),
    nextDue() {
      const due = one("SELECT min(max(due_at, leased_until)) AS due FROM outbox")?.due;
      return due === null || due === undefined ? null : Number(due);
    },
  };
}

function listRuns(db: SqlDb, query: RunQuery, at: number): { runs: Run[]; next: string | null } {
  const where = ["expires_at > ?"];
  const params: SqlParam[] = [at];
  const add = (clause: string, value: SqlParam | undefined) => {
    if (value === undefined) return;
    where.push(clause);
    params.push(value);
  };
  add("container = ?", query.container);
  add("task = ?", query.task);
  add("phase = ?", query.phase);
  add("outcome = ?", query.outcome);
  add("time_ms >= ?", query.since === undefined ? undefined : Date.parse(query.since));
  add("id < ?", query.cursor);
  // One more than the page: whether it exists decides `next`.
  const rows = db.all(
    `SELECT body FROM runs WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ?`,
    ...params,
    query.limit + 1,
  );
  const runs = rows.slice(0, query.limit).map((r) => runOf(r.body));
  const next = rows.length > query.limit ? (runs[runs.length - 1]?.id ?? null) : null;
  return { runs, next };
}

function runOf(body: unknown): Run {
  return RunSchema.parse(JSON.parse(String(body)));
}

function outboxEntry(row: SqlRow): OutboxEntry {
  return {
    id: String(row.id),
    body: String(row.body),
    createdAt: Number(row.created_at),
    dueAt: Number(row.due_at),
    attempts: Number(row.attempts),
  };
}
