import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { errorText } from "../schema/labels.ts";
import { type Outbox, type Store, StoreError } from "./port.ts";
import { createSqlStore, createTables, type RunWrite, type SqlDb } from "./sql-common.ts";
import { createWriteBatch } from "./write-batch.ts";

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
  /** The most runs written in one transaction (default 500). */
  maxBatch?: number;
}

/**
 * HOOKD_STORE=sqlite:PATH — one SQLite file, shared by every process on the host that names it.
 * WAL lets readers run beside the one writer; synchronous=NORMAL keeps a commit off the disk's
 * flush (a power cut may lose the last commits, never corrupt the file); busy_timeout makes a
 * process wait its turn for the write lock instead of failing. node:sqlite is synchronous: each
 * call is one short statement or one short transaction; the runs recorded in one turn of the
 * event loop (a burst's) are written together in one transaction (write-batch.ts).
 */
export function createSqliteStore(options: SqliteStoreOptions): Store {
  const name = `sqlite:${options.path}`;
  const db = open(options, name);
  const ops = createSqlStore(db.sql, {
    retentionMs: options.retentionMs,
    now: options.now,
    purgeEveryMs: options.purgeEveryMs,
  });
  /** Runs `work` as one store call: any SQLite failure is a StoreError naming the store. */
  const call = <T>(what: string, work: () => T): Promise<T> => {
    try {
      return Promise.resolve(work());
    } catch (err) {
      return Promise.reject(failure(what, err));
    }
  };
  const failure = (what: string, err: unknown) =>
    new StoreError(`${name}: ${what} failed: ${errorText(err)}`, { cause: err });
  const runs = createWriteBatch<RunWrite>((writes) => {
    // A lone run without a delivery is one INSERT, atomic by itself: BEGIN and COMMIT around it
    // would only add two statements to every hook when hooks come one at a time.
    if (writes.length === 1 && !writes[0]?.delivery) ops.recordRuns(writes);
    else transaction(db.file, () => ops.recordRuns(writes));
  }, options.maxBatch ?? 500);

  const outbox: Outbox = {
    takeDue: (at, limit, leaseMs) => call("outbox take", () => ops.takeDue(at, limit, leaseMs)),
    remove: (id) => call("outbox remove", () => ops.removeEntry(id)),
    reschedule: (id, dueAt, attempts) => call("outbox reschedule", () => ops.reschedule(id, dueAt, attempts)),
    size: () => call("outbox size", () => ops.outboxSize()),
  };

  return {
    name,
    claim: (key) => call(`claim ${key}`, () => ops.claim(key)),
    release: (key) => call(`release ${key}`, () => ops.release(key)),
    recordRun: (run, delivery) =>
      runs.add({ run, delivery }).catch((err: unknown) => {
        throw failure(`record run ${run.id}`, err);
      }),
    getRun: (id) => call(`get run ${id}`, () => ops.getRun(id)),
    listRuns: (query) => call("list runs", () => ops.listRuns(query)),
    getState: (key) => call(`get state ${key}`, () => ops.getState(key)),
    putState: (key, value, ttlMs) => call(`put state ${key}`, () => ops.putState(key, value, ttlMs)),
    lease: (key, owner, ttlMs) => call(`lease ${key}`, () => ops.lease(key, owner, ttlMs)),
    leaseHolder: (key) => call(`lease holder ${key}`, () => ops.leaseHolder(key)),
    unlease: (key, owner) => call(`unlease ${key}`, () => ops.unlease(key, owner)),
    outbox,
    close: () =>
      call("close", () => {
        // Runs still waiting for their batch are written first: none is lost at shutdown.
        if (!db.file.isOpen) return;
        runs.flush();
        db.file.close();
      }),
  };
}

/** node:sqlite behind the shared SQL's interface, each statement prepared once. */
function nodeSqlDb(db: DatabaseSync): SqlDb {
  const statements = new Map<string, StatementSync>();
  const prepared = (text: string): StatementSync => {
    let s = statements.get(text);
    if (!s) {
      s = db.prepare(text);
      statements.set(text, s);
    }
    return s;
  };
  return {
    all: (text, ...params) => prepared(text).all(...params),
    run: (text, ...params) => Number(prepared(text).run(...params).changes),
  };
}

/** The file, opened with its pragmas, and its tables created in one transaction. */
function open(options: SqliteStoreOptions, name: string): { file: DatabaseSync; sql: SqlDb } {
  try {
    if (options.path !== ":memory:") mkdirSync(dirname(options.path), { recursive: true });
    const file = new DatabaseSync(options.path, { timeout: options.busyTimeoutMs ?? 2_000 });
    file.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;");
    const sql = nodeSqlDb(file);
    transaction(file, () => createTables(sql));
    return { file, sql };
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
