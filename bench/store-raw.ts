/**
 * The baselines of bench/store.ts: the same rows written straight through the backend's own API,
 * with none of the store's work (no expiry, no purge, no error wrapping, no second copy).
 */
import { DatabaseSync } from "node:sqlite";
import { ConditionalCheckFailedException, DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import type { Writer } from "./store-ops.ts";

const DAY_MS = 86_400_000;

/**
 * Raw node:sqlite INSERTs in their own file, with the sqlite store's pragmas (WAL,
 * synchronous=NORMAL) and the same tables and indexes, one autocommitted statement per row.
 */
export function rawSqlite(path: string): Writer & { close(): void } {
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
    CREATE TABLE claims (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE runs (
      id TEXT PRIMARY KEY, time_ms INTEGER NOT NULL, container TEXT NOT NULL, task TEXT,
      phase TEXT NOT NULL, outcome TEXT NOT NULL, expires_at INTEGER NOT NULL, body TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX runs_by_container ON runs (container, id);
    CREATE INDEX runs_by_task ON runs (task, id);
    CREATE INDEX runs_by_expiry ON runs (expires_at);`);
  const claim = db.prepare("INSERT INTO claims (key, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING");
  const record = db.prepare(
    "INSERT INTO runs (id, time_ms, container, task, phase, outcome, expires_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  return {
    claim: (key) => Number(claim.run(key, Date.now() + DAY_MS).changes) === 1,
    record(run) {
      const time = Date.parse(run.time);
      record.run(
        run.id,
        time,
        run.container,
        null,
        run.phase,
        run.outcome,
        time + DAY_MS,
        JSON.stringify(run),
      );
    },
    close: () => db.close(),
  };
}

/**
 * Raw PutItem on the same dynalite and table as the store: a conditional put per claim, one put
 * of the run's item per record (the store writes two copies of it in one BatchWriteItem).
 */
export function rawDynamoDb(table: string): Writer & { close(): void } {
  const client = new DynamoDBClient({});
  const put = (item: Record<string, string>, condition?: string) =>
    client.send(
      new PutItemCommand({
        TableName: table,
        Item: Object.fromEntries(Object.entries(item).map(([k, v]) => [k, { S: v }])),
        ...(condition && { ConditionExpression: condition }),
      }),
      { abortSignal: AbortSignal.timeout(3_000) },
    );
  return {
    async claim(key) {
      try {
        await put({ pk: `raw-claim#${key}`, sk: "claim" }, "attribute_not_exists(pk)");
        return true;
      } catch (err) {
        if (err instanceof ConditionalCheckFailedException) return false;
        throw err;
      }
    },
    async record(run) {
      await put({ pk: "raw-runs", sk: run.id, data: JSON.stringify(run) });
    },
    close: () => client.destroy(),
  };
}
