/**
 * bench:store's second half: the dispatch and concurrency benchmarks of `npm run bench`, run on
 * hookd recording every run in a SQLite file (HOOKD_STORE=sqlite:FILE, the Node default),
 * beside the same run's bare relay and hookd on HOOKD_STORE=memory: what recording costs the hook path.
 */
import { DatabaseSync } from "node:sqlite";
import { fmt, TOKEN } from "./client.ts";
import { type Burst, benchConcurrency, printConcurrency } from "./concurrency.ts";
import { benchDispatch, DISPATCH_GOAL, printDispatch } from "./dispatch.ts";
import { type Child, openFileLimit, startChild } from "./processes.ts";

export interface ServicesOptions {
  rounds: number;
  warmupRounds: number;
  hooks: number;
}

/** Runs recorded in the file: proof that the service did record (0 means HOOKD_STORE was ignored). */
function recordedRuns(path: string): number {
  try {
    const db = new DatabaseSync(path, { readOnly: true });
    try {
      return Number(db.prepare("SELECT count(*) AS n FROM runs").get()?.n ?? 0);
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

export async function benchStoreServices(dbPath: string, o: ServicesOptions): Promise<void> {
  const needed = o.hooks + 200;
  if (openFileLimit() < needed) {
    console.log(`services: skipped — the open-file limit is below ${needed}: run \`ulimit -n 20000\` first`);
    return;
  }
  const recordingEnv = { HOOKD_TOKEN: TOKEN, HOOKD_STORE: `sqlite:${dbPath}` };
  const memoryEnv = { HOOKD_TOKEN: TOKEN, HOOKD_STORE: "memory" };
  const target = await startChild("target.ts");
  const relay = await startChild("bare-relay.ts");
  const started: Child[] = [];
  const service = async (env: Record<string, string>) => {
    const s = await startChild("service.ts", env);
    started.push(s);
    return s;
  };
  try {
    // Dispatch: hookd recording, the bare relay and hookd on memory, interleaved round by round
    // (the harness's fourth series, its `floor`, carries hookd on memory here).
    const recording = await service(recordingEnv);
    const memory = await service(memoryEnv);
    const dispatchOptions = { ...o, concurrency: 1 };
    const d = await benchDispatch(target, recording, relay, memory, dispatchOptions);
    console.log(
      "services — 'hookd' is hookd with HOOKD_STORE=sqlite:FILE; the 'floor' row is hookd on memory",
    );
    printDispatch(d, dispatchOptions);
    console.log(
      `  recording p50 / bare relay p50 ${fmt(d.p50Ratio)}× (goal ≤ ${DISPATCH_GOAL}×)   ` +
        `recording p50 / hookd on memory p50 ${fmt(d.hookdOverFloor)}×   ` +
        `CPU per hook: recording ${fmt(d.cpuUsPerRequest.hookd, 0)} µs, on memory ${fmt(d.cpuUsPerRequest.floor, 0)} µs`,
    );
    await Promise.all(started.splice(0).map((s) => s.stop()));

    // Concurrency: fresh services, so that each peak RSS belongs to this benchmark.
    const rec = await benchConcurrency(target, await service(recordingEnv), relay, o);
    printConcurrency(rec, o);
    const mem = await benchConcurrency(target, await service(memoryEnv), relay, o);
    console.log(
      `  hookd on memory, same run: wall ${fmt(mem.hookd.wallMs, 0)} ms (bare relay ${fmt(mem.relay.wallMs, 0)} ms: ${fmt(mem.wallRatio)}×), RSS peak ${fmt(mem.hookd.rssPeakMiB, 0)} MiB\n` +
        `  recording wall / bare relay wall ${fmt(rec.wallRatio)}× (goal ≤ 1.2×)   ` +
        `recording wall / hookd on memory wall ${fmt(rec.hookd.wallMs / mem.hookd.wallMs)}×   ` +
        `recording RSS peak ${fmt(rec.hookd.rssPeakMiB, 0)} MiB (goal ≤ 300 MB)`,
    );
    // The service's CPU in its burst moves less with the machine's load than its wall time does.
    const cpu = (b: Burst) => b.cpuS.service ?? Number.NaN;
    console.log(
      `  service CPU in the burst: recording ${fmt(cpu(rec.hookd))} s, hookd on memory ${fmt(cpu(mem.hookd))} s ` +
        `(${fmt(cpu(rec.hookd) / cpu(mem.hookd))}×), bare relay ${fmt(cpu(rec.relay))} / ${fmt(cpu(mem.relay))} s`,
    );
    console.log(`  runs recorded in the SQLite file: ${recordedRuns(dbPath)}`);
  } finally {
    await Promise.all(started.map((s) => s.stop()));
    await relay.stop();
    await target.stop();
  }
}
