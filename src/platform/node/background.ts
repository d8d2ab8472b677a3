import type { BackgroundRunner } from "../ports.ts";

/** In-process background work on Node; `drain` is awaited on graceful shutdown. */
export function createInProcessBackground(): BackgroundRunner & { drain(): Promise<void>; size(): number } {
  const running = new Set<Promise<unknown>>();
  return {
    run(work, _ctx) {
      const tracked = work.catch((err: unknown) => {
        console.error(JSON.stringify({ level: "error", msg: "background work failed", error: String(err) }));
      });
      running.add(tracked);
      void tracked.finally(() => running.delete(tracked));
    },
    async drain() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    size: () => running.size,
  };
}
