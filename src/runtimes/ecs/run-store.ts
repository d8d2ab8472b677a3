import { LruMap } from "../lru.ts";

/**
 * The memory of what already ran, so that a redelivered event or a second event about the same
 * container start runs nothing twice. Async, so that a shared store (a Durable Object, a
 * DynamoDB table with a conditional put) can take the place of the in-memory default.
 */
export interface RunStore {
  /** Records `key` unless it is there: true when this call recorded it (the caller does the work). */
  claim(key: string): Promise<boolean>;
  /** Forgets `key`, so that a redelivery does the work that could not be done this time. */
  release(key: string): Promise<void>;
}

export const DEFAULT_RUN_STORE_CAPACITY = 50_000;

/**
 * The default: an LRU in this process (Node, Lambda) or isolate (Workers). Duplicates reaching
 * another process or isolate, or arriving after a restart or eviction, run again: at least once.
 */
export function createMemoryRunStore(capacity = DEFAULT_RUN_STORE_CAPACITY): RunStore {
  const seen = new LruMap<string, true>(capacity);
  return {
    async claim(key) {
      if (seen.has(key)) return false;
      seen.set(key, true);
      return true;
    },
    async release(key) {
      seen.delete(key);
    },
  };
}

/** Stands in for a runtimeId that ECS has not reported (yet): the container is then known by name alone. */
export const UNKNOWN_RUNTIME_ID = "unknown-runtime";

/**
 * The keys hookd records: one per event, per container start and per container stop. A stop is
 * one container run ending (task, container, runtimeId), whichever of its events — RUNNING with
 * desiredStatus STOPPED, DEACTIVATING, STOPPING — or the graceful stop route gets there first.
 */
export const runKeys = {
  event: (taskArn: string, version: number) => `event ${taskArn} v${version}`,
  postStart: (taskArn: string, container: string, runtimeId: string | undefined) =>
    `postStart ${taskArn} ${container} ${runtimeId ?? UNKNOWN_RUNTIME_ID}`,
  containerStop: (taskArn: string, container: string, runtimeId: string | undefined) =>
    `stop ${taskArn} ${container} ${runtimeId ?? UNKNOWN_RUNTIME_ID}`,
};
