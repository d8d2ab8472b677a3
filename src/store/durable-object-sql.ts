import type { SqlStorage, SqlStorageValue } from "cloudflare:workers";
import { type Run, type RunQuery, RunSchema } from "../schema/run.ts";
import type { OutboxEntry } from "./port.ts";

/*
 * The Store's semantics over a Durable Object's SQLite (ctx.storage.sql). Every method is
 * synchronous: inside the object nothing else runs between its read and its write, which is what
 * makes a claim atomic (one object serves every Worker isolate). Expired rows are never answered,
 * and are deleted by a purge that runs at most once a minute.
 */
const SCHEMA = [
  "CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)",
  `CREATE TABLE IF NOT EXISTS runs (id TEXT PRIMARY KEY, container TEXT NOT NULL, task TEXT,
     phase TEXT NOT NULL, outcome TEXT NOT NULL, time_ms INTEGER NOT NULL, data TEXT NOT NULL,
     expires_at INTEGER NOT NULL)`,
  "CREATE INDEX IF NOT EXISTS runs_by_container ON runs (container, id)",
  "CREATE INDEX IF NOT EXISTS runs_by_task ON runs (task, id)",
  "CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER NOT NULL)",
  "CREATE TABLE IF NOT EXISTS leases (key TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL)",
  `CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, body TEXT NOT NULL, created_at INTEGER NOT NULL,
     due_at INTEGER NOT NULL, attempts INTEGER NOT NULL, leased_until INTEGER NOT NULL)`,
];
const PURGE_EVERY_MS = 60_000;

export interface SqlStore {
  claim(key: string, retentionMs: number): boolean;
  release(key: string): void;
  recordRun(run: Run, retentionMs: number, delivery?: OutboxEntry): void;
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
  /** When the next outbox entry is due (for the alarm), or null when the outbox is empty. */
  nextDue(): number | null;
}

type Row = Record<string, SqlStorageValue>;

export function createSqlStore(sql: SqlStorage, now: () => number = Date.now): SqlStore {
  for (const statement of SCHEMA) sql.exec(statement);
  const rows = <T extends Row>(query: string, ...bindings: SqlStorageValue[]): T[] =>
    sql.exec<T>(query, ...bindings).toArray();
  let purgedAt = 0;
  const purge = (at: number) => {
    if (at - purgedAt < PURGE_EVERY_MS) return;
    purgedAt = at;
    for (const table of ["claims", "runs", "state", "leases"]) {
      sql.exec(`DELETE FROM ${table} WHERE expires_at <= ?`, at);
    }
  };
  const entry = (r: Row): OutboxEntry => ({
    id: String(r.id),
    body: String(r.body),
    createdAt: Number(r.created_at),
    dueAt: Number(r.due_at),
    attempts: Number(r.attempts),
  });

  return {
    claim(key, retentionMs) {
      const at = now();
      purge(at);
      // Inserts, or takes over an expired claim; a live one is left alone (no row written).
      const written = sql.exec(
        `INSERT INTO claims (key, expires_at) VALUES (?, ?)
         ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE claims.expires_at <= ?`,
        key,
        at + retentionMs,
        at,
      ).rowsWritten;
      return written > 0;
    },
    release(key) {
      sql.exec("DELETE FROM claims WHERE key = ?", key);
    },
    recordRun(run, retentionMs, delivery) {
      purge(now());
      const time = Date.parse(run.time);
      const task = run.source.runtime === "ecs" ? run.source.task : null;
      sql.exec(
        `INSERT OR REPLACE INTO runs (id, container, task, phase, outcome, time_ms, data, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        run.id,
        run.container,
        task,
        run.phase,
        run.outcome,
        time,
        JSON.stringify(run),
        time + retentionMs,
      );
      if (delivery) {
        sql.exec(
          `INSERT OR REPLACE INTO outbox (id, body, created_at, due_at, attempts, leased_until)
           VALUES (?, ?, ?, ?, ?, 0)`,
          delivery.id,
          delivery.body,
          delivery.createdAt,
          delivery.dueAt,
          delivery.attempts,
        );
      }
    },
    getRun(id) {
      const [row] = rows<{ data: string }>(
        "SELECT data FROM runs WHERE id = ? AND expires_at > ?",
        id,
        now(),
      );
      return row ? RunSchema.parse(JSON.parse(row.data)) : undefined;
    },
    listRuns(query) {
      const where = ["expires_at > ?"];
      const bindings: SqlStorageValue[] = [now()];
      const filter = (clause: string, value: SqlStorageValue | undefined) => {
        if (value === undefined) return;
        where.push(clause);
        bindings.push(value);
      };
      filter("container = ?", query.container);
      filter("task = ?", query.task);
      filter("phase = ?", query.phase);
      filter("outcome = ?", query.outcome);
      filter("time_ms >= ?", query.since === undefined ? undefined : Date.parse(query.since));
      filter("id < ?", query.cursor);
      const found = rows<{ data: string }>(
        `SELECT data FROM runs WHERE ${where.join(" AND ")} ORDER BY id DESC LIMIT ?`,
        ...bindings,
        query.limit + 1,
      ).map((r) => RunSchema.parse(JSON.parse(r.data)));
      const runs = found.slice(0, query.limit);
      return { runs, next: found.length > query.limit ? (runs[runs.length - 1]?.id ?? null) : null };
    },
    getState(key) {
      const [row] = rows<{ value: string }>(
        "SELECT value FROM state WHERE key = ? AND expires_at > ?",
        key,
        now(),
      );
      return row ? JSON.parse(row.value) : undefined;
    },
    putState(key, value, ttlMs) {
      sql.exec(
        "INSERT OR REPLACE INTO state (key, value, expires_at) VALUES (?, ?, ?)",
        key,
        JSON.stringify(value),
        now() + ttlMs,
      );
    },
    lease(key, owner, ttlMs) {
      const at = now();
      const written = sql.exec(
        `INSERT INTO leases (key, owner, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE leases.expires_at <= ? OR leases.owner = excluded.owner`,
        key,
        owner,
        at + ttlMs,
        at,
      ).rowsWritten;
      return written > 0;
    },
    leaseHolder(key) {
      const [row] = rows<{ owner: string }>(
        "SELECT owner FROM leases WHERE key = ? AND expires_at > ?",
        key,
        now(),
      );
      return row?.owner;
    },
    unlease(key, owner) {
      sql.exec("DELETE FROM leases WHERE key = ? AND owner = ?", key, owner);
    },
    takeDue(at, limit, leaseMs) {
      const due = rows(
        "SELECT * FROM outbox WHERE due_at <= ? AND leased_until <= ? ORDER BY id LIMIT ?",
        at,
        at,
        limit,
      );
      for (const r of due)
        sql.exec("UPDATE outbox SET leased_until = ? WHERE id = ?", at + leaseMs, r.id ?? null);
      return due.map(entry);
    },
    removeEntry(id) {
      sql.exec("DELETE FROM outbox WHERE id = ?", id);
    },
    reschedule(id, dueAt, attempts) {
      sql.exec(
        "UPDATE outbox SET due_at = ?, attempts = ?, leased_until = 0 WHERE id = ?",
        dueAt,
        attempts,
        id,
      );
    },
    outboxSize() {
      return Number(sql.exec<{ n: number }>("SELECT count(*) AS n FROM outbox").one().n);
    },
    nextDue() {
      const [row] = rows<{ due: number | null }>("SELECT min(max(due_at, leased_until)) AS due FROM outbox");
      return row?.due ?? null;
    },
  };
}
