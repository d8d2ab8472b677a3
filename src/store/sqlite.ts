import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type SQLInputValue, type SQLOutputValue, type StatementSync } from "node:sqlite";
import { errorText } from "../schema/labels.ts";
import { type Run, type RunQuery, RunSchema } from "../schema/run.ts";
import { type Outbox, type OutboxEntry, type Store, StoreError } from "./port.ts";

export interface SqliteStoreOptions {
  /** The database file; its folder is created. `:memory:` for a private database. */
  path: string;
  retentionMs: number;
  now?: () => number;
  /**
   * How long a call waits for another process's write lock before it fails (SQLite's
   * busy_timeout): the store call's deadline.
   */
  busyTimeoutMs?: number;
  /** Expired rows are deleted on a write at most this often (reads never show them anyway). */
  purgeEveryMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, time_ms INTEGER NOT NULL, container TEXT NOT NULL, task TEXT,
  phase TEXT NOT NULL, outcome TEXT NOT NULL, expires_at INTEGER NOT NULL, body TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS runs_by_container ON runs (container, id);
CREATE INDEX IF NOT EXISTS runs_by_task ON runs (task, id);
CREATE INDEX IF NOT EXISTS runs_by_expiry ON runs (expires_at);
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outbox (
  id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at INTEGER NOT NULL, due_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL, leased_until INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS outbox_by_due ON outbox (due_at);
`;

/** Every table with an expires_at column is purged the same way. */
const EXPIRING = ["claims", "runs", "state", "leases"] as const;

/**
 * HOOKD_STORE=sqlite:PATH — one SQLite file, shared by every process on the host that names it.
 * WAL lets readers run beside the one writer; synchronous=NORMAL keeps a commit off the disk's
 * flush (a power cut may lose the last commits, never corrupt the file); busy_timeout makes a
 * process wait its turn for the write lock instead of failing. node:sqlite is synchronous: each
 * call is one short statement (or one short transaction).
 */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const now = options.now ?? Date.now;
  const name = `sqlite:${options.path}`;
  const db = open(options, name);
  const purgeEveryMs = options.purgeEveryMs ?? 60_000;
  let lastPurge = 0;

  const statements = new Map<string, StatementSync>();
  const sql = (text: string): StatementSync => {
    let s = statements.get(text);
    if (!s) {
      s = db.prepare(text);
      statements.set(text, s);
    }
    return s;
  };
  /** Runs `work` as one store call: any SQLite failure is a StoreError naming the store. */
  const call = <T>(what: string, work: () => T): Promise<T> => {
    try {
      return Promise.resolve(work());
    } catch (err) {
      return Promise.reject(new StoreError(`${name}: ${what} failed: ${errorText(err)}`, { cause: err }));
    }
  };
  const purgeIfDue = () => {
    const at = now();
    if (at - lastPurge < purgeEveryMs) return;
    lastPurge = at;
    for (const table of EXPIRING) sql(`DELETE FROM ${table} WHERE expires_at <= ?`).run(at);
  };

  const outbox: Outbox = {
    takeDue: (at, limit, leaseMs) =>
      call("outbox take", () => {
        // One statement: concurrent senders never take the same entry.
        const rows = sql(
          `UPDATE outbox SET leased_until = ? WHERE id IN (
             SELECT id FROM outbox WHERE due_at <= ? AND leased_until <= ? ORDER BY due_at LIMIT ?
           ) RETURNING id, body, created_at, due_at, attempts`,
        ).all(at + leaseMs, at, at, limit);
        return rows.map(outboxEntry).sort((a, b) => a.dueAt - b.dueAt);
      }),
    remove: (id) =>
      call("outbox remove", () => {
        sql("DELETE FROM outbox WHERE id = ?").run(id);
      }),
    reschedule: (id, dueAt, attempts) =>
      call("outbox reschedule", () => {
        sql("UPDATE outbox SET due_at = ?, attempts = ?, leased_until = 0 WHERE id = ?").run(
          dueAt,
          attempts,
          id,
        );
      }),
    size: () => call("outbox size", () => Number(sql("SELECT count(*) AS n FROM outbox").get()?.n ?? 0)),
  };

  return {
    name,
    claim: (key) =>
      call(`claim ${key}`, () => {
        purgeIfDue();
        const at = now();
        // Inserted, or taken over from an expired claim not purged yet: changes is 1 for one caller only.
        const { changes } = sql(
          `INSERT INTO claims (key, expires_at) VALUES (?, ?)
           ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE claims.expires_at <= ?`,
        ).run(key, at + options.retentionMs, at);
        return Number(changes) === 1;
      }),
    release: (key) =>
      call(`release ${key}`, () => {
        sql("DELETE FROM claims WHERE key = ?").run(key);
      }),
    recordRun: (run, delivery) =>
      call(`record run ${run.id}`, () => {
        purgeIfDue();
        const insert = () => {
          const task = run.source.runtime === "ecs" ? run.source.task : null;
          const time = Date.parse(run.time);
          sql(
            `INSERT OR REPLACE INTO runs (id, time_ms, container, task, phase, outcome, expires_at, body)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
          ).run(
            run.id,
            time,
            run.container,
            task,
            run.phase,
            run.outcome,
            time + options.retentionMs,
            JSON.stringify(run),
          );
          if (delivery) {
            sql(
              `INSERT OR REPLACE INTO outbox (id, body, created_at, due_at, attempts, leased_until)
               VALUES (?, ?, ?, ?, ?, 0)`,
            ).run(delivery.id, delivery.body, delivery.createdAt, delivery.dueAt, delivery.attempts);
          }
        };
        if (delivery) transaction(db, insert);
        else insert();
      }),
    getRun: (id) =>
      call(`get run ${id}`, () => {
        const row = sql("SELECT body FROM runs WHERE id = ? AND expires_at > ?").get(id, now());
        return row ? runOf(row.body) : undefined;
      }),
    listRuns: (query) => call("list runs", () => listRuns(sql, query, now())),
    getState: (key) =>
      call(`get state ${key}`, () => {
        const row = sql("SELECT value FROM state WHERE key = ? AND expires_at > ?").get(key, now());
        return row ? JSON.parse(String(row.value)) : undefined;
      }),
    putState: (key, value, ttlMs) =>
      call(`put state ${key}`, () => {
        purgeIfDue();
        sql("INSERT OR REPLACE INTO state (key, value, expires_at) VALUES (?, ?, ?)").run(
          key,
          JSON.stringify(value),
          now() + ttlMs,
        );
      }),
    lease: (key, owner, ttlMs) =>
      call(`lease ${key}`, () => {
        const at = now();
        const { changes } = sql(
          `INSERT INTO leases (key, owner, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
           WHERE leases.owner = excluded.owner OR leases.expires_at <= ?`,
        ).run(key, owner, at + ttlMs, at);
        return Number(changes) === 1;
      }),
    leaseHolder: (key) =>
      call(`lease holder ${key}`, () => {
        const row = sql("SELECT owner FROM leases WHERE key = ? AND expires_at > ?").get(key, now());
        return row ? String(row.owner) : undefined;
      }),
    unlease: (key, owner) =>
      call(`unlease ${key}`, () => {
        sql("DELETE FROM leases WHERE key = ? AND owner = ?").run(key, owner);
      }),
    outbox,
    close: () =>
      call("close", () => {
        if (db.isOpen) db.close();
      }),
  };
}

function open(options: SqliteStoreOptions, name: string): DatabaseSync {
  try {
    if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
    const db = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs ?? 2_000 });
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    transaction(db, () => db.exec(SCHEMA));
    return db;
  } catch (err) {
    throw new StoreError(`${name}: cannot open the database: ${errorText(err)}`, { cause: err });
  }
}

/** BEGIN IMMEDIATE takes the write lock first, so two processes never deadlock upgrading a read. */
function transaction(db: DatabaseSync, work: () => void): void {
  db.exec("BEGIN IMMEDIATE");
  try {
    work();
    db.exec("COMMIT");
  } catch (err) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw err;
  }
}

function listRuns(sql: (text: string) => StatementSync, query: RunQuery, at: number) {
  const where = ["expires_at > ?"];
  const params: SQLInputValue[] = [at];
  const add = (clause: string, value: SQLInputValue | undefined) => {
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
  const rows = sql(`SELECT body FROM runs WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ?`).all(
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

function outboxEntry(row: Record<string, SQLOutputValue>): OutboxEntry {
  return {
    id: String(row.id),
    body: String(row.body),
    createdAt: Number(row.created_at),
    dueAt: Number(row.due_at),
    attempts: Number(row.attempts),
  };
}
