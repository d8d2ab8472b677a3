import { resolve } from "node:path";
import { ConfigError, type StoreSetting } from "../../config.ts";
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
      // The DynamoDB backend is added by src/store/dynamodb.ts (issue 13, the cloud stores).
      throw new ConfigError(`HOOKD_STORE: dynamodb:${setting.table} is not available in this build yet`);
    case "durable-object":
      throw new ConfigError(
        "HOOKD_STORE: durable-object is the Workers store (a Durable Object binding); on Node use sqlite:PATH",
      );
  }
}

function defaultStore(runtime: NodeStoreOptions["runtime"]): StoreSetting {
  // Until the DynamoDB backend lands, a Lambda function without HOOKD_STORE keeps its state in
  // the invocation's process (at-least-once, as before).
  return runtime === "node" ? NODE_DEFAULT_STORE : { kind: "memory" };
}
