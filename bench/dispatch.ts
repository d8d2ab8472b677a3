import { createClient, fmt, get, hookBody, postHook, timed } from "./client.ts";
import type { Child } from "./processes.ts";
import { median, type Summary, summary } from "./support.ts";

export interface DispatchOptions {
  rounds: number;
  warmupRounds: number;
  concurrency: number;
}

export interface DispatchFigures {
  direct: Summary;
  hookd: Summary;
  relay: Summary | undefined;
  /** The raw-socket relay (bench/socket-relay.ts): the floor of any Node relay here. */
  floor: Summary | undefined;
  p50Ratio: number;
  p99Ratio: number;
  relayP50Ratio: number | undefined;
  floorP50Ratio: number | undefined;
  failures: number;
  /** CPU time per request of each process, in µs: insensitive to the machine's other load. */
  cpuUsPerRequest: { target: number; hookd: number; relay: number | undefined; floor: number | undefined };
}

/**
 * Dispatch overhead: POST /v1/hooks/run (httpGet → target /ok) against a direct GET of the same
 * target, interleaved — every round sends one of each, in rotating order, from the same client
 * at the same concurrency — so that the machine's noise falls on both sides alike.
 */
export async function benchDispatch(
  target: Child,
  service: Child,
  relay: Child | undefined,
  o: DispatchOptions,
  floor?: Child,
): Promise<DispatchFigures> {
  const client = createClient();
  const body = hookBody(target.port, "/ok");
  type Series = "direct" | "hookd" | "relay" | "floor";
  const series: Series[] = [
    "direct",
    "hookd",
    ...(relay ? ["relay" as const] : []),
    ...(floor ? ["floor" as const] : []),
  ];
  const times: Record<Series, number[]> = { direct: [], hookd: [], relay: [], floor: [] };
  const origin: Record<Series, string> = {
    direct: target.origin,
    hookd: service.origin,
    relay: relay?.origin ?? "",
    floor: floor?.origin ?? "",
  };
  let failures = 0;

  const once = async (s: Series, record: boolean) => {
    const options = s === "direct" ? get(target.origin, "/ok") : postHook(origin[s], body);
    const a = await timed(client, options);
    const ok =
      a.status === 200 &&
      (s === "direct" || (JSON.parse(a.text) as { outcome?: string }).outcome === "succeeded");
    if (!ok) failures++;
    if (record) times[s].push(a.ms);
  };
  const worker = async (w: number, rounds: number, record: boolean) => {
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < series.length; k++) {
        const s = series[(r + w + k) % series.length];
        if (s) await once(s, record);
      }
    }
  };
  const run = (rounds: number, record: boolean) =>
    Promise.all(
      Array.from({ length: o.concurrency }, (_, w) => worker(w, Math.ceil(rounds / o.concurrency), record)),
    );

  await run(o.warmupRounds, false);
  failures = 0;
  const cpu0 = {
    target: target.cpuMs(),
    hookd: service.cpuMs(),
    relay: relay?.cpuMs() ?? 0,
    floor: floor?.cpuMs() ?? 0,
  };
  await run(o.rounds, true);
  const perRequest = (ms0: number, ms1: number, requests: number) => ((ms1 - ms0) * 1000) / requests;
  const n = times.hookd.length;
  const cpuUsPerRequest = {
    // The target serves the direct GETs, hookd's GETs and the relay's GETs.
    target: perRequest(cpu0.target, target.cpuMs(), n * series.length),
    hookd: perRequest(cpu0.hookd, service.cpuMs(), n),
    relay: relay ? perRequest(cpu0.relay, relay.cpuMs(), n) : undefined,
    floor: floor ? perRequest(cpu0.floor, floor.cpuMs(), n) : undefined,
  };
  await client.close();

  const direct = summary(times.direct);
  const hookd = summary(times.hookd);
  const relaySummary = relay ? summary(times.relay) : undefined;
  const floorSummary = floor ? summary(times.floor) : undefined;
  return {
    direct,
    hookd,
    relay: relaySummary,
    floor: floorSummary,
    p50Ratio: hookd.p50 / direct.p50,
    p99Ratio: hookd.p99 / direct.p99,
    relayP50Ratio: relaySummary ? relaySummary.p50 / direct.p50 : undefined,
    floorP50Ratio: floorSummary ? floorSummary.p50 / direct.p50 : undefined,
    failures,
    cpuUsPerRequest,
  };
}

export function printDispatch(f: DispatchFigures, o: DispatchOptions): void {
  const row = (name: string, s: Summary) =>
    `  ${name.padEnd(26)} p50 ${fmt(s.p50, 3).padStart(7)} ms   p99 ${fmt(s.p99, 3).padStart(7)} ms   (n=${s.n})`;
  console.log(
    `dispatch overhead — ${o.rounds} interleaved rounds, concurrency ${o.concurrency}, ${o.warmupRounds} warm-up rounds`,
  );
  console.log(row("direct GET target", f.direct));
  console.log(row("hookd POST /v1/hooks/run", f.hookd));
  if (f.relay) console.log(row("bare node:http+undici relay", f.relay));
  if (f.floor) console.log(row("raw-socket relay (floor)", f.floor));
  console.log(
    `  ratio hookd/direct: p50 ${fmt(f.p50Ratio)}×  p99 ${fmt(f.p99Ratio)}×  (goal p50 ≤ 2.5×)` +
      (f.relayP50Ratio !== undefined ? `   reference: bare relay p50 ${fmt(f.relayP50Ratio)}×` : "") +
      (f.floorP50Ratio !== undefined ? `, raw-socket relay p50 ${fmt(f.floorP50Ratio)}×` : ""),
  );
  const c = f.cpuUsPerRequest;
  console.log(
    `  CPU per request: target ${fmt(c.target, 0)} µs   hookd ${fmt(c.hookd, 0)} µs` +
      (c.relay !== undefined
        ? `   bare relay ${fmt(c.relay, 0)} µs (hookd/relay ${fmt(c.hookd / c.relay)}×)`
        : "") +
      (c.floor !== undefined ? `   raw-socket relay ${fmt(c.floor, 0)} µs` : "") +
      "   (10 ms clock ticks: read over thousands of requests)",
  );
  if (f.failures > 0) console.log(`  FAILURES: ${f.failures} requests did not succeed`);
}

/** After `--repeat N`: every run's p50 ratio, and their median, for hookd and the bare relay. */
export function printDispatchRuns(runs: readonly DispatchFigures[]): void {
  const hookd = runs.map((r) => r.p50Ratio);
  const relay = runs.flatMap((r) => (r.relayP50Ratio === undefined ? [] : [r.relayP50Ratio]));
  const floor = runs.flatMap((r) => (r.floorP50Ratio === undefined ? [] : [r.floorP50Ratio]));
  const list = (xs: number[]) => xs.map((x) => `${fmt(x)}×`).join(", ");
  console.log(
    `dispatch over ${runs.length} runs — p50 ratio hookd: ${list(hookd)}; median ${fmt(median(hookd))}×, ` +
      `${hookd.filter((x) => x <= 2.5).length} of ${runs.length} within the goal (≤ 2.5×)` +
      (relay.length ? `   bare relay: ${list(relay)}; median ${fmt(median(relay))}×` : "") +
      (floor.length ? `   raw-socket relay: ${list(floor)}; median ${fmt(median(floor))}×` : ""),
  );
}
