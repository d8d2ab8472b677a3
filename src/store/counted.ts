import type { Store } from "./port.ts";
import { storeThrough } from "./through.ts";

/**
 * The store with each failed call counted once (its own error, or its deadline passed), for
 * hookd_store_errors_total. Wrapped once where a runtime builds its deps, so that every caller —
 * the recorder, the ECS and Docker routes' claims, the results outbox's flush — is counted
 * without counting itself. The error still reaches the caller unchanged.
 */
export function countingFailures(store: Store, onFailure: () => void): Store {
  return storeThrough(
    store.name,
    async (call) => {
      try {
        return await call(store);
      } catch (err) {
        onFailure();
        throw err;
      }
    },
    () => store.close(),
  );
}
