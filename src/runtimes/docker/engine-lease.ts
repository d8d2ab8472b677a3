import type { Store } from "../../store/port.ts";

/** How long a watcher's hold on its engine lasts without renewal (a killed watcher's is free after this). */
export const ENGINE_LEASE_MS = 30_000;
const RENEW_EVERY_MS = 10_000;

export interface EngineLease {
  /** Stops renewing and gives the engine up. */
  release(): Promise<void>;
}

/**
 * One watcher per engine and store (contract §7): the first takes a lease on the engine and
 * renews it; another finds it held and is told by whom. Returns the holder when it is taken.
 */
export async function holdEngine(
  store: Store,
  engine: string,
  owner: string,
  onLost: (why: string) => void,
): Promise<EngineLease | { heldBy: string }> {
  const key = `docker engine ${engine}`;
  if (!(await store.lease(key, owner, ENGINE_LEASE_MS))) {
    return { heldBy: (await store.leaseHolder(key)) ?? "another watcher" };
  }
  const timer = setInterval(() => {
    store.lease(key, owner, ENGINE_LEASE_MS).then(
      (held) => {
        if (!held) onLost(`the engine's lease was taken by another watcher`);
      },
      (err: unknown) => onLost(`the engine's lease could not be renewed: ${String(err)}`),
    );
  }, RENEW_EVERY_MS);
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await store.unlease(key, owner).catch(() => undefined);
    },
  };
}
