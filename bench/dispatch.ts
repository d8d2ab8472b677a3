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
  relay: Summary;
  /** The same relay as a Hono app on @hono/node-server (bench/hono-relay.ts): hookd's stack doing nothing of hookd's. */
  floor: Summary;
  /** hookd's p50 over the bare relay's: the goal's ratio. */
  p50Ratio: number;
  p99Ratio: number;
  /** For scale: each relay's p50 over the direct GET's. */
  hookdOverDirect: number;
  relayOverDirect: number;
  /** The floor's p50 over the bare relay's: what the goal leaves hookd once its own stack is paid. */
  floorOverRelay: number;
  /** hookd's p50 over the floor's: what hookd's own work costs on its stack. */
  hookdOverFloor: number;
  failures: number;
  /** CPU time per request of each process, in µs: insensitive to the machine's other load. */
  cpuUsPerRequest: { target: number; hookd: number; relay: number; floor: number };
}

/** The goal: hookd's p50 at most this many times the bare relay's. */
export const DISPATCH_GOAL = 1.2;

/**
 * Dispatch overhead: POST /v1/hooks/run (httpGet → target /ok) against the same request through
 * the bare node:http + undici relay, the same relay on Hono (the floor of hookd's stack), and a
 * direct GET of the target for scale; interleaved —
 * every round sends one of each, in rotating order, from the same client at the same
 * concurrency — so that the machine's noise falls on all of them alike.
 */
export async function benchDispatch(
  target: Child,
  service: Child,
  relay: Child,
  floor: Child,
  o: DispatchOptions,
): Promise<DispatchFigures> {
  const client = createClient();
  const body = hookBody(target.port, "/ok");
  type Series = "direct" | "hookd" | "relay" | "floor";
  const series: Series[] = ["direct", "hookd", "relay", "floor"];
  const times: Record<Series, number[]> = { direct: [], hookd: [], relay: [], floor: [] };
  const origin: Record<Series, string> = {
    direct: target.origin,
    hookd: service.origin,
    relay: relay.origin,
    floor: floor.origin,
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
  const cpu0 = { target: target.cpuMs(), hookd: service.cpuMs(), relay: relay.cpuMs(), floor: floor.cpuMs() };
  await run(o.rounds, true);
  const perRequest = (ms0: number, ms1: number, requests: number) => ((ms1 - ms0) * 1000) / requests;
  const n = times.hookd.length;
  const cpuUsPerRequest = {
    // The target serves the direct GETs, hookd's GETs and the relay's GETs.
    target: perRequest(cpu0.target, target.cpuMs(), n * series.length),
    hookd: perRequest(cpu0.hookd, service.cpuMs(), n),
    relay: perRequest(cpu0.relay, relay.cpuMs(), n),
    floor: perRequest(cpu0.floor, floor.cpuMs(), n),
  };
  await client.close();

  const direct = summary(times.direct);
  const hookd = summary(times.hookd);
  const relayed = summary(times.relay);
  const onHono = summary(times.floor);
  return {
    direct,
    hookd,
    relay: relayed,
    floor: onHono,
    floorOverRelay: onHono.p50 / relayed.p50,
    hookdOverFloor: hookd.p50 / onHono.p50,
    p50Ratio: hookd.p50 / relayed.p50,
    p99Ratio: hookd.p99 / relayed.p99,
    hookdOverDirect: hookd.p50 / direct.p50,
    relayOverDirect: relayed.p50 / direct.p50,
    failures,
    cpuUsPerRequest,
  };
}

export function printDispatch(f: DispatchFigures, o: DispatchOptions): void {
  const row = (name: string, s: Summary) =>
    `  ${name.padEnd(30)} p50 ${fmt(s.p50, 3).padStart(7)} ms   p99 ${fmt(s.p99, 3).padStart(7)} ms   (n=${s.n})`;
  console.log(
    `dispatch overhead — ${o.rounds} interleaved rounds, concurrency ${o.concurrency}, ${o.warmupRounds} warm-up rounds`,
  );
  console.log(row("direct GET target (scale)", f.direct));
  console.log(row("bare node:http+undici relay", f.relay));
  console.log(row("the relay on Hono (floor)", f.floor));
  console.log(row("hookd POST /v1/hooks/run", f.hookd));
  console.log(
    `  ratio hookd/bare relay: p50 ${fmt(f.p50Ratio)}×  p99 ${fmt(f.p99Ratio)}×  (goal p50 ≤ ${DISPATCH_GOAL}×: ${f.p50Ratio <= DISPATCH_GOAL ? "met" : "NOT met"})` +
      `   for scale, over the direct GET: hookd ${fmt(f.hookdOverDirect)}×, bare relay ${fmt(f.relayOverDirect)}×`,
  );
  console.log(
    `  floor: the relay on Hono is ${fmt(f.floorOverRelay)}× the bare relay; hookd is ${fmt(f.hookdOverFloor)}× the relay on Hono`,
  );
  const c = f.cpuUsPerRequest;
  console.log(
    `  CPU per request: target ${fmt(c.target, 0)} µs   hookd ${fmt(c.hookd, 0)} µs   bare relay ${fmt(c.relay, 0)} µs   relay on Hono ${fmt(c.floor, 0)} µs ` +
      `(hookd/relay ${fmt(c.hookd / c.relay)}×)   (10 ms clock ticks: read over thousands of requests)`,
  );
  if (f.failures > 0) console.log(`  FAILURES: ${f.failures} requests did not succeed`);
}

/** After `--repeat N`: every run's p50 ratio to the bare relay, and their median. */
export function printDispatchRuns(runs: readonly DispatchFigures[]): void {
  const ratios = runs.map((r) => r.p50Ratio);
  const floors = runs.map((r) => r.floorOverRelay);
  const list = (xs: number[]) => xs.map((x) => `${fmt(x)}×`).join(", ");
  console.log(
    `dispatch over ${runs.length} runs — p50 ratio hookd/bare relay: ${list(ratios)}; median ${fmt(median(ratios))}×, ` +
      `${ratios.filter((x) => x <= DISPATCH_GOAL).length} of ${runs.length} within the goal (≤ ${DISPATCH_GOAL}×); ` +
      `the floor (the relay on Hono / bare relay): ${list(floors)}; median ${fmt(median(floors))}×`,
  );
}
