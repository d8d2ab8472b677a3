/** What bench/store.ts measures on each store: timed bursts of claims and run records, and their rows. */
import type { Run } from "../src/schema/run.ts";
import { newRunId } from "../src/store/port.ts";
import { type Summary, summary } from "./support.ts";

/** One side of a comparison: the store's own call, or the raw write it is compared with. */
export interface Writer {
  /** Must answer true for a fresh key: a claim that fails is counted, not timed as a success. */
  claim(key: string): Promise<boolean> | boolean;
  record(run: Run): Promise<void> | void;
}

export interface Burst {
  perSecond: number;
  latency: Summary;
  failures: number;
}

/**
 * `n` calls of `op`, `concurrency` in flight at once, each timed from its call to its answer.
 * A synchronous store (node:sqlite) answers before the next call starts, whatever the concurrency.
 */
export async function timedBurst(
  n: number,
  concurrency: number,
  op: (i: number) => Promise<boolean> | boolean,
): Promise<Burst> {
  const ms: number[] = [];
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const t0 = performance.now();
      const ok = await op(i);
      ms.push(performance.now() - t0);
      if (!ok) failures++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallS = (performance.now() - t0) / 1000;
  return { perSecond: n / wallS, latency: summary(ms), failures };
}

/** Claims of keys never claimed before (`tag` keeps every burst's keys apart). */
export const claimBurst = (w: Writer, tag: string, n: number, concurrency: number) =>
  timedBurst(n, concurrency, (i) => w.claim(`ecs-event:bench:${tag}:${i}`));

/** Run records, one new run each, as the hook path writes them (no results delivery). */
export function recordBurst(w: Writer, n: number, concurrency: number): Promise<Burst> {
  // Made before the clock starts: the burst times the writes, not the making of the runs.
  const runs = Array.from({ length: n }, (_, i) => sampleRun(i));
  return timedBurst(n, concurrency, async (i) => {
    const run = runs[i];
    if (run) await w.record(run);
    return run !== undefined;
  });
}

/** A run of the size the hook path records: a Docker container's postStart httpGet. */
export function sampleRun(i: number): Run {
  const at = Date.now();
  return {
    id: newRunId(at),
    time: new Date(at).toISOString(),
    source: { runtime: "docker", containerId: `c0ffee${i}`, name: `web-${i % 50}` },
    phase: "postStart",
    handler: "httpGet",
    container: `web-${i % 50}`,
    outcome: "succeeded",
    message: "GET http://127.0.0.1:8080/ready answered 200",
    warnings: [],
    startedAt: new Date(at).toISOString(),
    durationMs: 12,
  };
}
