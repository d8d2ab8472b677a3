// The part of workerd's runtime API hookd uses, typed just enough (no @cloudflare/workers-types:
// its global types would clash with Node's and the DOM's in this one program).
declare module "cloudflare:workers" {
  /** ctx.storage.sql: SQLite inside a Durable Object, synchronous. */
  export interface SqlStorage {
    exec<T extends Record<string, SqlStorageValue>>(
      query: string,
      ...bindings: SqlStorageValue[]
    ): SqlStorageCursor<T>;
  }
  export type SqlStorageValue = string | number | null | ArrayBuffer;
  export interface SqlStorageCursor<T> extends Iterable<T> {
    toArray(): T[];
    one(): T;
    readonly rowsWritten: number;
  }
  export interface DurableObjectStorage {
    readonly sql: SqlStorage;
    getAlarm(): Promise<number | null>;
    setAlarm(scheduledTime: number | Date): Promise<void>;
    deleteAlarm(): Promise<void>;
    transactionSync<T>(closure: () => T): T;
  }
  export interface DurableObjectState {
    readonly storage: DurableObjectStorage;
    blockConcurrencyWhile<T>(callback: () => Promise<T>): Promise<T>;
  }
  export abstract class DurableObject<Env = unknown> {
    protected ctx: DurableObjectState;
    protected env: Env;
    constructor(ctx: DurableObjectState, env: Env);
  }
}
