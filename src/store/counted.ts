import type { Store } from "./port.ts";

/**
 * The store with each failed call counted once (its own error, or its deadline passed), for
 * hookd_store_errors_total. Wrapped once where a runtime builds its deps, so that every caller —
 * the recorder, the ECS and Docker routes' claims, the results outbox's flush — is counted
 * without counting itself. The error still reaches the caller unchanged.
 */
export function countingFailures(store: Store, onFailure: () => void): Store {
  const counted =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await call(...args);
      } catch (err) {
        onFailure();
        throw err;
      }
    };
  return {
    name: store.name,
    claim: counted((key) => store.claim(key)),
    release: counted((key) => store.release(key)),
    recordRun: counted((run, delivery) => store.recordRun(run, delivery)),
    getRun: counted((id) => store.getRun(id)),
    listRuns: counted((query) => store.listRuns(query)),
    getState: counted((key) => store.getState(key)),
    putState: counted((key, value, ttlMs) => store.putState(key, value, ttlMs)),
    lease: counted((key, owner, ttlMs) => store.lease(key, owner, ttlMs)),
    leaseHolder: counted((key) => store.leaseHolder(key)),
    unlease: counted((key, owner) => store.unlease(key, owner)),
    outbox: {
      takeDue: counted((now, limit, leaseMs) => store.outbox.takeDue(now, limit, leaseMs)),
      remove: counted((id) => store.outbox.remove(id)),
      reschedule: counted((id, dueAt, attempts) => store.outbox.reschedule(id, dueAt, attempts)),
      size: counted(() => store.outbox.size()),
    },
    close: () => store.close(),
  };
}
