import { readFileSync } from "node:fs";
import { request } from "undici";
import { createClient, fmt, get, hookBody, postHook, timed, warmUp } from "./client.ts";
import type { Child } from "./processes.ts";
import { type Summary, summary } from "./support.ts";

export interface ConcurrencyOptions {
  hooks: number;
}

export interface Burst {
  wallMs: number;
  latency: Summary;
  failures: number;
  /** What the target saw: new connections, and how far apart the first and last /slow arrived. */
  target: { requests: number; connections: number; slowArrivalSpreadMs: number; maxSlowInFlight: number };
  /**
   * Connections the kernel dropped because a listener's accept queue was full (TcpExt
   * ListenOverflows, machine-wide): each costs the client a SYN retry of 1 s or more.
   */
  listenOverflows: number;
  /** CPU seconds (user + system) each process used during the burst: where the time went. */
  cpuS: { client: number; service?: number; target: number };
}

export interface ConcurrencyFigures {
  direct: Burst;
  hookd: Burst & { rssPeakMiB: number; rssAfterMiB: number };
  relay: Burst & { rssPeakMiB: number };
  /** hookd's wall time over the bare relay's: the goal's ratio. */
  wallRatio: number;
  /** For scale: each one's wall time over the direct burst's. */
  hookdOverDirect: number;
  relayOverDirect: number;
}

export const CONCURRENCY_GOAL = { wallRatio: 1.2, rssMB: 300 };

function listenOverflows(): number {
  const lines = readFileSync("/proc/net/netstat", "utf8").split("\n");
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i]?.split(" ") ?? [];
    const values = lines[i + 1]?.split(" ") ?? [];
    const at = names.indexOf("ListenOverflows");
    if (names[0] === "TcpExt:" && at > 0) return Number(values[at]);
  }
  return Number.NaN;
}

async function targetStats(target: Child): Promise<Burst["target"]> {
  const res = await request(`${target.origin}/stats`);
  return (await res.body.json()) as Burst["target"];
}

/** Sends `n` requests at once from a fresh client (new sockets, as in a burst) and times them all. */
async function burst(
  n: number,
  target: Child,
  /** The process in the middle (hookd or the bare relay), if any. */
  service: Child | undefined,
  options: ReturnType<typeof get>,
  succeeded: (status: number, text: string) => boolean,
): Promise<Burst> {
  await targetStats(target); // resets the target's counters
  const client = createClient();
  const overflows0 = listenOverflows();
  const cpu0 = { client: process.cpuUsage(), service: service?.cpuMs() ?? 0, target: target.cpuMs() };
  const t0 = performance.now();
  const answers = await Promise.all(
    Array.from({ length: n }, () =>
      timed(client, options).catch((err: unknown) => ({ status: 0, text: String(err), ms: Number.NaN })),
    ),
  );
  const wallMs = performance.now() - t0;
  const clientCpu = process.cpuUsage(cpu0.client);
  const cpuS = {
    client: (clientCpu.user + clientCpu.system) / 1e6,
    ...(service && { service: (service.cpuMs() - cpu0.service) / 1000 }),
    target: (target.cpuMs() - cpu0.target) / 1000,
  };
  await client.close();
  const failed = answers.filter((a) => !succeeded(a.status, a.text));
  if (failed[0]) console.log(`  first failure: ${failed[0].status} ${failed[0].text.slice(0, 300)}`);
  return {
    wallMs,
    latency: summary(answers.map((a) => a.ms).filter(Number.isFinite)),
    failures: failed.length,
    target: await targetStats(target),
    listenOverflows: listenOverflows() - overflows0,
    cpuS,
  };
}

const hookSucceeded = (status: number, text: string) =>
  status === 200 && (JSON.parse(text) as { outcome?: string }).outcome === "succeeded";

/**
 * Concurrency: `hooks` hooks at once against a target that answers after 1 s, through hookd and
 * through the bare relay (the baseline), and the same number of GETs sent straight to the target
 * for scale. All must succeed; the target's arrival spread shows whether any hook waited for a
 * connection (a per-origin cap would queue them).
 */
export async function benchConcurrency(
  target: Child,
  service: Child,
  relay: Child,
  o: ConcurrencyOptions,
): Promise<ConcurrencyFigures> {
  await warmUp(service, target);
  await warmUp(relay, target);
  const direct = await burst(o.hooks, target, undefined, get(target.origin, "/slow"), (s) => s === 200);
  const body = hookBody(target.port, "/slow");
  const hookd = await burst(o.hooks, target, service, postHook(service.origin, body), hookSucceeded);
  const mem = service.memory();
  const relayed = await burst(o.hooks, target, relay, postHook(relay.origin, body), hookSucceeded);
  return {
    direct,
    hookd: { ...hookd, rssPeakMiB: mem.peakMiB, rssAfterMiB: mem.rssMiB },
    relay: { ...relayed, rssPeakMiB: relay.memory().peakMiB },
    wallRatio: hookd.wallMs / relayed.wallMs,
    hookdOverDirect: hookd.wallMs / direct.wallMs,
    relayOverDirect: relayed.wallMs / direct.wallMs,
  };
}

export function printConcurrency(f: ConcurrencyFigures, o: ConcurrencyOptions): void {
  const row = (name: string, b: Burst) =>
    `  ${name.padEnd(26)} wall ${fmt(b.wallMs, 0).padStart(5)} ms   latency p50 ${fmt(b.latency.p50, 0)} / p99 ${fmt(b.latency.p99, 0)} ms   ` +
    `failures ${b.failures}   target saw ${b.target.requests} req on ${b.target.connections} new conns, /slow arrivals spread ${b.target.slowArrivalSpreadMs} ms, at most ${b.target.maxSlowInFlight} in flight, accept-queue overflows ${b.listenOverflows}\n` +
    `  ${"".padEnd(26)} CPU during the burst: client ${fmt(b.cpuS.client)} s` +
    (b.cpuS.service !== undefined ? `, service ${fmt(b.cpuS.service)} s` : "") +
    `, target ${fmt(b.cpuS.target)} s (2 cores: at most ${fmt((2 * b.wallMs) / 1000)} s)`;
  console.log(`concurrency — ${o.hooks} at once, target answers after 1 s, fresh client sockets`);
  console.log(row("direct GET target (scale)", f.direct));
  console.log(row("bare node:http+undici relay", f.relay));
  console.log(row("hookd POST /v1/hooks/run", f.hookd));
  const peakMB = (f.hookd.rssPeakMiB * 1024 * 1024) / 1e6;
  const allSucceeded = f.hookd.failures === 0;
  console.log(
    `  all ${o.hooks} hooks succeeded: ${allSucceeded ? "yes" : `NO (${f.hookd.failures} failed)`}   ` +
      `ratio hookd/bare relay wall ${fmt(f.wallRatio)}× (goal ≤ ${CONCURRENCY_GOAL.wallRatio}×: ${f.wallRatio <= CONCURRENCY_GOAL.wallRatio ? "met" : "NOT met"})   ` +
      `hookd RSS peak ${fmt(peakMB, 0)} MB (goal ≤ ${CONCURRENCY_GOAL.rssMB} MB: ${peakMB <= CONCURRENCY_GOAL.rssMB ? "met" : "NOT met"}), after ${fmt(f.hookd.rssAfterMiB, 0)} MiB; ` +
      `bare relay RSS peak ${fmt((f.relay.rssPeakMiB * 1024 * 1024) / 1e6, 0)} MB   ` +
      `for scale, wall over the direct burst: hookd ${fmt(f.hookdOverDirect)}×, bare relay ${fmt(f.relayOverDirect)}×`,
  );
}
