import type { Store } from "./port.ts";

/**
 * Runs one store call: `call` does it on whichever store it is given. What a wrapper adds around
 * every call (counting its failures, loading the store first) goes here, once.
 */
export type StoreCallRunner = <R>(call: (store: Store) => Promise<R>) => Promise<R>;

/** A Store whose every call, `close` aside, goes through `run`. */
export function storeThrough(name: string, run: StoreCallRunner, close: () => Promise<void>): Store {
  return {
    name,
    claim: (key) => run((s) => s.claim(key)),
    release: (key) => run((s) => s.release(key)),
    recordRun: (record, delivery) => run((s) => s.recordRun(record, delivery)),
    getRun: (id) => run((s) => s.getRun(id)),
    listRuns: (query) => run((s) => s.listRuns(query)),
    getState: (key) => run((s) => s.getState(key)),
    putState: (key, value, ttlMs) => run((s) => s.putState(key, value, ttlMs)),
    lease: (key, owner, ttlMs) => run((s) => s.lease(key, owner, ttlMs)),
    leaseHolder: (key) => run((s) => s.leaseHolder(key)),
    unlease: (key, owner) => run((s) => s.unlease(key, owner)),
    outbox: {
      takeDue: (now, limit, leaseMs) => run((s) => s.outbox.takeDue(now, limit, leaseMs)),
      remove: (id) => run((s) => s.outbox.remove(id)),
      reschedule: (id, dueAt, attempts) => run((s) => s.outbox.reschedule(id, dueAt, attempts)),
      size: () => run((s) => s.outbox.size()),
    },
    close,
  };
}
