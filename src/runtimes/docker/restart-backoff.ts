import { BACKOFF_RESET_MS, backoffDelayMs } from "../../engine/policy.ts";

/**
 * Crash-loop backoff per container, in memory: 10 s, 20 s, 40 s … capped; a container that ran for
 * 10 minutes since hookd last brought it back starts again from the initial delay.
 */
export class RestartBackoff {
  private readonly state = new Map<string, { restarts: number; restartAt: number }>();

  private readonly initialMs: number;
  private readonly maxMs: number;

  constructor(initialMs: number, maxMs: number) {
    this.initialMs = initialMs;
    this.maxMs = maxMs;
  }

  /** The delay before restarting `id` now, counted as one more restart. */
  next(id: string, now: number = Date.now()): { delayMs: number; restart: number } {
    const previous = this.state.get(id);
    const restarts = previous && now - previous.restartAt < BACKOFF_RESET_MS ? previous.restarts : 0;
    const delayMs = backoffDelayMs(restarts, this.initialMs, this.maxMs);
    this.state.set(id, { restarts: restarts + 1, restartAt: now + delayMs });
    return { delayMs, restart: restarts + 1 };
  }
}
