import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { isHookdStoreNamespace, openObjectSql } from "../../src/store/durable-object.ts";
import type { Store } from "../../src/store/port.ts";
import type { SqlStore } from "../../src/store/sql-common.ts";
import { describeStoreConformance, type TestClock } from "../support/store-conformance.ts";

/**
 * The Durable Object's SQL, in workerd, through the store conformance suite: each call runs inside
 * the object (on its ctx.storage.sql) with the suite's hand-moved clock.
 */
function namespace() {
  const binding = env.HOOKD_STORE;
  if (!isHookdStoreNamespace(binding))
    throw new Error("wrangler.toml binds no Durable Object as HOOKD_STORE");
  return binding;
}

function storeInObject(name: string, retentionMs: number, clock: TestClock): Store {
  const ns = namespace();
  const stub = ns.get(ns.idFromName(name));
  const inside = <T>(work: (sql: SqlStore) => T): Promise<T> =>
    runInDurableObject(stub, (_, state) => work(openObjectSql(state.storage.sql, retentionMs, clock.now)));
  return {
    name: `durable-object:${name}`,
    claim: (key) => inside((s) => s.claim(key)),
    release: (key) => inside((s) => s.release(key)),
    recordRun: (run, delivery) => inside((s) => s.recordRuns([{ run, delivery }])),
    getRun: (id) => inside((s) => s.getRun(id)),
    listRuns: (query) => inside((s) => s.listRuns(query)),
    getState: (key) => inside((s) => s.getState(key)),
    putState: (key, value, ttlMs) => inside((s) => s.putState(key, value, ttlMs)),
    lease: (key, owner, ttlMs) => inside((s) => s.lease(key, owner, ttlMs)),
    leaseHolder: (key) => inside((s) => s.leaseHolder(key)),
    unlease: (key, owner) => inside((s) => s.unlease(key, owner)),
    outbox: {
      takeDue: (now, limit, leaseMs) => inside((s) => s.takeDue(now, limit, leaseMs)),
      remove: (id) => inside((s) => s.removeEntry(id)),
      reschedule: (id, dueAt, attempts) => inside((s) => s.reschedule(id, dueAt, attempts)),
      size: () => inside((s) => s.outboxSize()),
    },
    async close() {},
  };
}

let objects = 0;
describeStoreConformance("durable-object", {
  // A fresh object per test: fresh, empty tables.
  open: async ({ retentionMs, clock }) => storeInObject(`conformance-${++objects}`, retentionMs, clock),
  openAnother: async ({ retentionMs, clock }) => storeInObject(`conformance-${objects}`, retentionMs, clock),
});
