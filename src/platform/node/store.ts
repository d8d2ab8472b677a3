import { resolve } from "node:path";
import { ConfigError, type StoreSetting } from "../../config.ts";
import { lazyStore } from "../../store/lazy.ts";
import { createMemoryStore } from "../../store/memory.ts";
import type { Store } from "../../store/port.ts";
import { createSqliteStore } from "../../store/sqlite.ts";

/** Where `hookd serve` and `hookd docker watch` keep their state unless HOOKD_STORE says otherwise. */
export const NODE_DEFAULT_STORE: StoreSetting = { kind: "sqlite", path: ".hookd/hookd.db" };

export interface NodeStoreOptions {
  /** HOOKD_STORE as read; undefined: the runtime's default. */
  setting: StoreSetting | undefined;
  retentionHours: number;
  runtime: "node" | "lambda";
  /** A relative sqlite path is taken from here (the working directory). */
  cwd?: string;
  now?: () => number;
}

/**
 * The store HOOKD_STORE names, on Node and Lambda. Node's default is the SQLite file; Lambda's
 * is DynamoDB (the CDK app sets HOOKD_STORE to its table).
 */
export function createNodeStore(options: NodeStoreOptions): Store {
  const setting = options.setting ?? defaultStore(options.runtime);
  const retentionMs = options.retentionHours * 3_600_000;
  const now = options.now;
  switch (setting.kind) {
    case "sqlite":
      return createSqliteStore({
        path:
          setting.path === ":memory:" ? setting.path : resolve(options.cwd ?? process.cwd(), setting.path),
        retentionMs,
        ...(now && { now }),
      });
    case "memory":
      return createMemoryStore({ retentionMs, ...(now && { now }) });
    case "dynamodb":
      // Region, endpoint (AWS_ENDPOINT_URL_DYNAMODB) and credentials: where the AWS SDK reads them.
      // Loaded at the first call: the SDK's start-up is spent only where the store is DynamoDB.
      return lazyStore(`dynamodb:${setting.table}`, async () => {
        const { createDynamoDbStore } = await import("../../store/dynamodb.ts");
        return createDynamoDbStore({ table: setting.table, retentionMs, ...(now && { now }) });
      });
    case "durable-object":
      throw new ConfigError(
        "HOOKD_STORE: durable-object is the Workers store (a Durable Object binding); on Node use sqlite:PATH",
      );
  }
}

/** The CDK app sets HOOKD_STORE to the table it creates; a function set up by hand uses "hookd". */
export const LAMBDA_DEFAULT_STORE: StoreSetting = { kind: "dynamodb", table: "hookd" };

function defaultStore(runtime: NodeStoreOptions["runtime"]): StoreSetting {
  return runtime === "node" ? NODE_DEFAULT_STORE : LAMBDA_DEFAULT_STORE;
}
