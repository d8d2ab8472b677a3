import { BACKOFF_RESET_MS, backoffDelayMs } from "../../engine/policy.ts";
import { createMemoryStore } from "../../store/memory.ts";
import type { Store } from "../../store/port.ts";

interface BackoffState {
  restarts: number;
  restartAt: number;
}

const isBackoffState = (v: unknown): v is BackoffState =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as BackoffState).restarts === "number" &&
  typeof (v as BackoffState).restartAt === "number";

/**
 * Crash-loop backoff per container: 10 s, 20 s, 40 s … capped; a container that ran for 10
 * minutes since hookd last brought it back starts again from the initial delay. Kept in the
 * store (HOOKD_STORE), so that a restarted watcher, or another one sharing the store, goes on
 * from where the last one was.
 */
export class RestartBackoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly store: Store;

  constructor(initialMs: number, maxMs: number, store?: Store) {
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    this.store = store ?? createMemoryStore({ retentionMs: BACKOFF_RESET_MS });
  }

  /** The delay before restarting `id` now, counted as one more restart. */
  async next(id: string, now: number = Date.now()): Promise<{ delayMs: number; restart: number }> {
    const key = `docker backoff ${id}`;
    const previous = await this.store.getState(key);
    const restarts =
      isBackoffState(previous) && now - previous.restartAt < BACKOFF_RESET_MS ? previous.restarts : 0;
    const delayMs = backoffDelayMs(restarts, this.initialMs, this.maxMs);
    const state: BackoffState = { restarts: restarts + 1, restartAt: now + delayMs };
    // Kept until it could no longer matter: past the reset window after the restart.
    await this.store.putState(key, state, delayMs + BACKOFF_RESET_MS + 60_000);
    return { delayMs, restart: restarts + 1 };
  }
}
