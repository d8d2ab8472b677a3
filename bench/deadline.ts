import type { Agent } from "undici";
import { createClient, fmt, get, hookBody, postHook, timed, warmUp } from "./client.ts";
import type { Child } from "./processes.ts";
import { type Summary, summary } from "./support.ts";

export interface DeadlineOptions {
  hooks: number;
}

export interface DeadlineFigures {
  baseline: Summary;
  wall: Summary;
  durationMs: Summary;
  /** From the client sending all requests to each hook's startedAt (ms clock: same machine). */
  startDelay: Summary;
  outcomes: Record<string, number>;
  /**
   * The same number of GETs at once, each on a new connection, straight to the target's `/ok`:
   * what the client and the machine need to open that many connections and be answered, with
   * no hookd in the way — the part of the client's wall time that no deadline can remove.
   */
  connectBaseline: Summary;
  /** The bare relay's wall time at the client (AbortSignal.timeout(1 s) on its GET), for reference. */
  relayWall: Summary;
  /**
   * The same burst again on connections the client opened beforehand (and hookd then held idle):
   * what is left is hookd's own intake and deadline, without the client's connection set-up.
   */
  opened: { wall: Summary; startDelay: Summary; relayWall: Summary };
}

/**
 * Deadline precision: `hooks` hooks at once, timeoutSeconds 1, against a target that never
 * answers, after one unmeasured burst of the same shape (warm code, as in a service that has run). The baseline is the client's own 1 s timer on the same number of GETs to the same
 * target (undici aborting with AbortSignal.timeout), so the event loop's lateness is in both.
 */
export async function benchDeadline(
  target: Child,
  service: Child,
  relay: Child,
  o: DeadlineOptions,
): Promise<DeadlineFigures> {
  await warmUp(service, target);
  await warmUp(relay, target);
  const client = createClient();
  const base = await Promise.all(
    Array.from({ length: o.hooks }, async () => {
      const t0 = performance.now();
      await client
        .request({ ...get(target.origin, "/never"), signal: AbortSignal.timeout(1000) })
        .catch(() => undefined);
      return performance.now() - t0;
    }),
  );
  const fresh = createClient();
  const connectBaseline = summary(
    (await Promise.all(Array.from({ length: o.hooks }, () => timed(fresh, get(target.origin, "/ok"))))).map(
      (a) => a.ms,
    ),
  );
  await fresh.close();
  const body = hookBody(target.port, "/never", 1);
  // One unmeasured burst of the same shape first, for each: a fresh process runs its first burst
  // (new connections in and out, aborts at the deadline) on cold code, about twice as slowly.
  await onOpenedConnections(service, body, o.hooks, target);
  await onOpenedConnections(relay, body, o.hooks, target);
  const hookd = await hooksAtOnce(client, service, body, o.hooks);
  const viaRelay = await hooksAtOnce(client, relay, body, o.hooks);
  await client.close();
  const openedHookd = await onOpenedConnections(service, body, o.hooks, target);
  const openedRelay = await onOpenedConnections(relay, body, o.hooks, target);
  return {
    baseline: summary(base),
    connectBaseline,
    ...hookd,
    relayWall: viaRelay.wall,
    opened: { wall: openedHookd.wall, startDelay: openedHookd.startDelay, relayWall: openedRelay.wall },
  };
}

/** `n` hooks at once on `n` connections opened just before, each by a quick hook (to the target's `/ok`). */
async function onOpenedConnections(via: Child, body: string, n: number, target: Child) {
  const client = createClient();
  const quick = hookBody(target.port, "/ok");
  await Promise.all(Array.from({ length: n }, () => timed(client, postHook(via.origin, quick))));
  const figures = await hooksAtOnce(client, via, body, n);
  await client.close();
  return figures;
}

/** `n` hooks at once through `via` (hookd, or the bare relay for reference). */
async function hooksAtOnce(client: Agent, via: Child, body: string, n: number) {
  const sentAt = Date.now();
  const answers = await Promise.all(
    Array.from({ length: n }, () => timed(client, postHook(via.origin, body))),
  );
  const outcomes: Record<string, number> = {};
  const durations: number[] = [];
  const startDelays: number[] = [];
  for (const a of answers) {
    const r =
      a.status === 200
        ? (JSON.parse(a.text) as { outcome: string; durationMs: number; startedAt?: string })
        : undefined;
    const key = r?.outcome ?? `status ${a.status}`;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    if (r) durations.push(r.durationMs);
    if (r?.startedAt) startDelays.push(Date.parse(r.startedAt) - sentAt);
  }
  const wall = summary(answers.map((a) => a.ms));
  return { wall, durationMs: summary(durations), startDelay: summary(startDelays), outcomes };
}

export function printDeadline(f: DeadlineFigures, o: DeadlineOptions): void {
  const row = (name: string, s: Summary) =>
    `  ${name.padEnd(34)} p50 ${fmt(s.p50 / 1000, 3)} s   p99 ${fmt(s.p99 / 1000, 3)} s   max ${fmt(s.max / 1000, 3)} s`;
  console.log(
    `deadline precision — ${o.hooks} hooks at once, timeoutSeconds 1, target never answers (after one unmeasured burst of the same)`,
  );
  console.log(row("client's own 1 s timer (baseline)", f.baseline));
  console.log(row(`${o.hooks} new connections to /ok, direct`, f.connectBaseline));
  console.log(row("hookd, wall time at the client", f.wall));
  console.log(row("hookd, durationMs in the results", f.durationMs));
  console.log(row("hookd, sent → the hook's startedAt", f.startDelay));
  console.log(row("bare relay, wall time at the client", f.relayWall));
  console.log(
    `  on ${o.hooks} connections the client opened just before (no connection set-up in the burst):`,
  );
  console.log(row("hookd, wall time at the client", f.opened.wall));
  console.log(row("hookd, sent → the hook's startedAt", f.opened.startDelay));
  console.log(row("bare relay, wall time at the client", f.opened.relayWall));
  const s = (ms: number) => `${fmt(ms / 1000, 3)} s`;
  console.log(
    `  outcomes ${JSON.stringify(f.outcomes)}   goal p99 ≤ 1.05 s: the hooks' durationMs p99 ${s(f.durationMs.p99)} ` +
      `(${f.durationMs.p99 <= 1050 ? "met" : "NOT met"}); at the client p99 ${s(f.opened.wall.p99)} on opened connections, ` +
      `${s(f.wall.p99)} with new ones (${o.hooks} new connections straight to the target alone: p99 ${s(f.connectBaseline.p99)}; ` +
      `the client's own timer: p99 ${s(f.baseline.p99)})`,
  );
}
