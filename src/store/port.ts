import { v7 as uuidv7 } from "uuid";
import type { Run, RunQuery } from "../schema/run.ts";

/**
 * The Store port (contract §7): hookd's code is stateless, its state lives here, so that any
 * number of instances sharing a store act as one. One implementation per backend: memory,
 * sqlite (node:sqlite), dynamodb, durable-object. Every method may throw StoreError; callers on
 * an event path then run nothing (ECS answers 503, the Docker adapter retries).
 */
export interface Store {
  /** Which backend, for logs and errors ("sqlite:/path", "dynamodb:table", "memory"…). */
  readonly name: string;

  /**
   * Claims `key` atomically across every instance sharing the store: true for exactly one caller
   * until the claim expires (after the retention) or is released.
   */
  claim(key: string): Promise<boolean>;
  /** Forgets a claim whose work could not be done, so that a redelivery does it. */
  release(key: string): Promise<void>;

  /** Records a run (and, when results delivery is on, its outbox entry, in the same write). */
  recordRun(run: Run, delivery?: OutboxEntry): Promise<void>;
  getRun(id: string): Promise<Run | undefined>;
  /** Newest first; `next` is the cursor of the following page, or null. */
  listRuns(query: RunQuery): Promise<{ runs: Run[]; next: string | null }>;

  /**
   * Small named state that must outlive a process (a Docker container's restart backoff):
   * a JSON value, kept until it expires.
   */
  getState(key: string): Promise<unknown>;
  putState(key: string, value: unknown, ttlMs: number): Promise<void>;

  /**
   * A lease on `key` for `owner`: true when it was free, expired, or already `owner`'s (then
   * renewed). A second watcher on the same engine uses it to stand by.
   */
  lease(key: string, owner: string, ttlMs: number): Promise<boolean>;
  /** The lease's holder, if any is unexpired. */
  leaseHolder(key: string): Promise<string | undefined>;
  unlease(key: string, owner: string): Promise<void>;

  /** The results outbox (contract §7, results delivery). */
  outbox: Outbox;

  close(): Promise<void>;
}

/** One delivery of one run to the results URL. */
export interface OutboxEntry {
  /** The run's id, which is also the webhook-id. */
  id: string;
  /** The exact body to send (its signature covers these bytes). */
  body: string;
  /** Epoch ms when the run was recorded: deliveries stop 24 h later. */
  createdAt: number;
  /** Epoch ms of the next attempt. */
  dueAt: number;
  attempts: number;
}

export interface Outbox {
  /**
   * Up to `limit` entries due at `now`, each leased to the caller for `leaseMs` (no other
   * instance takes it meanwhile): one sender at a time per entry.
   */
  takeDue(now: number, limit: number, leaseMs: number): Promise<OutboxEntry[]>;
  /** Acknowledged (2xx), given up (410 or 24 h passed): never sent again. */
  remove(id: string): Promise<void>;
  /** Tried and failed: try again at `dueAt`. */
  reschedule(id: string, dueAt: number, attempts: number): Promise<void>;
  /** How many entries wait (for metrics and the backlog alert). */
  size(): Promise<number>;
}

/** A store that could not answer: the cause says which backend and what failed. */
export class StoreError extends Error {
  override name = "StoreError";
}

/** Run ids: UUIDv7 (RFC 9562), sortable by time, monotonic within a millisecond. */
export function newRunId(now: number = Date.now()): string {
  return uuidv7({ msecs: now });
}
