import type { Run, RunQuery } from "../schema/run.ts";
import type { Outbox, OutboxEntry, Store } from "./port.ts";
import { matchesQuery } from "./run-filter.ts";

interface Expiring<T> {
  value: T;
  expiresAt: number;
}

/**
 * HOOKD_STORE=memory: this process only (tests, throwaway runs). Duplicates reaching another
 * process are not seen. Everything expires after the retention, as in the shared stores.
 */
export function createMemoryStore(options: { retentionMs: number; now?: () => number }): Store {
  const now = options.now ?? Date.now;
  const claims = new Map<string, number>();
  const runs = new Map<string, Expiring<Run>>();
  const state = new Map<string, Expiring<unknown>>();
  const leases = new Map<string, Expiring<string>>();
  const outbox = new Map<string, OutboxEntry & { leasedUntil: number }>();
  const live = <T>(map: Map<string, Expiring<T>>, key: string): T | undefined => {
    const e = map.get(key);
    if (!e) return undefined;
    if (e.expiresAt > now()) return e.value;
    map.delete(key);
    return undefined;
  };

  const box: Outbox = {
    async takeDue(at, limit, leaseMs) {
      const due: OutboxEntry[] = [];
      for (const e of outbox.values()) {
        if (due.length >= limit) break;
        if (e.dueAt > at || e.leasedUntil > at) continue;
        e.leasedUntil = at + leaseMs;
        const { leasedUntil: _, ...entry } = e;
        due.push(entry);
      }
      return due;
    },
    async remove(id) {
      outbox.delete(id);
    },
    async reschedule(id, dueAt, attempts) {
      const e = outbox.get(id);
      if (e) Object.assign(e, { dueAt, attempts, leasedUntil: 0 });
    },
    async size() {
      return outbox.size;
    },
  };

  return {
    name: "memory",
    async claim(key) {
      const expiresAt = claims.get(key);
      if (expiresAt !== undefined && expiresAt > now()) return false;
      claims.set(key, now() + options.retentionMs);
      return true;
    },
    async release(key) {
      claims.delete(key);
    },
    async recordRun(run, delivery) {
      runs.set(run.id, { value: run, expiresAt: Date.parse(run.time) + options.retentionMs });
      if (delivery) outbox.set(delivery.id, { ...delivery, leasedUntil: 0 });
    },
    async getRun(id) {
      return live(runs, id);
    },
    async listRuns(query: RunQuery) {
      const page: Run[] = [];
      const ids = [...runs.keys()].sort().reverse();
      for (const id of ids) {
        if (query.cursor !== undefined && id >= query.cursor) continue;
        const run = live(runs, id);
        if (!run || !matchesQuery(run, query)) continue;
        if (page.length === query.limit) return { runs: page, next: page[page.length - 1]?.id ?? null };
        page.push(run);
      }
      return { runs: page, next: null };
    },
    async getState(key) {
      return live(state, key);
    },
    async putState(key, value, ttlMs) {
      state.set(key, { value, expiresAt: now() + ttlMs });
    },
    async lease(key, owner, ttlMs) {
      const holder = live(leases, key);
      if (holder !== undefined && holder !== owner) return false;
      leases.set(key, { value: owner, expiresAt: now() + ttlMs });
      return true;
    },
    async leaseHolder(key) {
      return live(leases, key);
    },
    async unlease(key, owner) {
      if (live(leases, key) === owner) leases.delete(key);
    },
    outbox: box,
    async close() {},
  };
}
