import { raceDeadline } from "../../engine/deadline.ts";
import type { BackgroundRunner } from "../ports.ts";

export interface InProcessBackground extends BackgroundRunner {
  /** Waits for the work in flight (at most `ms` when given): true when all of it settled. */
  drain(ms?: number): Promise<boolean>;
  /** Gives up on the work still running: runs each one's `onAbandon`; says how many there were. */
  abandon(): Promise<number>;
  size(): number;
}

const ABANDON_WAIT_MS = 2_000;

/** In-process background work on Node; `drain` is awaited on graceful shutdown. */
export function createInProcessBackground(): InProcessBackground {
  const running = new Map<Promise<unknown>, (() => Promise<void> | void) | undefined>();
  const settled = async () => {
    while (running.size > 0) await Promise.allSettled([...running.keys()]);
  };
  return {
    run(work, _ctx, onAbandon) {
      const tracked = work.catch((err: unknown) => {
        console.error(JSON.stringify({ level: "error", msg: "background work failed", error: String(err) }));
      });
      running.set(tracked, onAbandon);
      void tracked.finally(() => running.delete(tracked));
    },
    async drain(ms) {
      if (ms === undefined) {
        await settled();
        return true;
      }
      return (await raceDeadline(settled(), ms)) === "done";
    },
    async abandon() {
      const left = [...running.values()];
      running.clear();
      // Undoing (a claim released in the store) has its own deadlines; this bounds the wait anyway.
      await raceDeadline(Promise.allSettled(left.map(async (undo) => undo?.())), ABANDON_WAIT_MS);
      return left.length;
    },
    size: () => running.size,
  };
}
