/**
 * `npm run bench [-- --only dispatch,concurrency,deadline,startup] [--rounds N] [--hooks N]
 *  [--repeat N] [--startup-runs N]`: hookd's core benchmarks, each printed as figures and ratios
 * against a baseline measured in the same run — above all the bare node:http + undici relay
 * (bench/bare-relay.ts), the same stack doing nothing of hookd's. Traffic goes only to
 * 127.0.0.1; every part is bounded in count and time, and all child processes stop with the run.
 */
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import { TOKEN } from "./client.ts";
import { benchConcurrency, printConcurrency } from "./concurrency.ts";
import { benchDeadline, printDeadline } from "./deadline.ts";
import { benchDispatch, type DispatchFigures, printDispatch, printDispatchRuns } from "./dispatch.ts";
import { type Child, openFileLimit, startChild } from "./processes.ts";
import { benchStartup, printStartup } from "./startup.ts";
import { int } from "./support.ts";

const { values } = parseArgs({
  options: {
    only: { type: "string", default: "dispatch,concurrency,deadline,startup" },
    rounds: { type: "string", default: "5000" },
    warmup: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "1" },
    hooks: { type: "string", default: "5000" },
    "deadline-hooks": { type: "string", default: "500" },
    repeat: { type: "string", default: "1" },
    "startup-runs": { type: "string", default: "15" },
  },
});
const only = new Set(values.only.split(","));
const hooks = int("hooks", values.hooks);
const repeat = int("repeat", values.repeat);

// 5,000 sockets on each side of each process (client→service, service→target).
const needed = hooks + 200;
const limit = openFileLimit();
if (only.has("concurrency") && limit < needed) {
  console.error(
    `bench: the open-file limit is ${limit}, ${needed} are needed: run \`ulimit -n 20000\` first`,
  );
  process.exit(2);
}

console.log(
  `hookd bench — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")}`,
);
const target = await startChild("target.ts");

/** A fresh service and a fresh bare relay per benchmark, so that each one's peak RSS belongs to it. */
async function withServices<T>(fn: (service: Child, relay: Child) => Promise<T>): Promise<T> {
  const service = await startChild("service.ts", { HOOKD_TOKEN: TOKEN, HOOKD_STORE: "memory" });
  const relay = await startChild("bare-relay.ts");
  try {
    return await fn(service, relay);
  } finally {
    await service.stop();
    await relay.stop();
  }
}

try {
  if (only.has("dispatch")) {
    const o = {
      rounds: int("rounds", values.rounds),
      warmupRounds: int("warmup", values.warmup),
      concurrency: int("concurrency", values.concurrency),
    };
    // The p50s move from run to run on a small shared VM: --repeat N runs the whole benchmark N
    // times, each with a fresh service and relay, and sums up.
    const runs: DispatchFigures[] = [];
    for (let i = 0; i < repeat; i++) {
      const floor = await startChild("hono-relay.ts");
      const f = await withServices((s, r) => benchDispatch(target, s, r, floor, o)).finally(() =>
        floor.stop(),
      );
      printDispatch(f, o);
      runs.push(f);
    }
    if (runs.length > 1) printDispatchRuns(runs);
  }
  if (only.has("concurrency")) {
    const o = { hooks };
    const f = await withServices((s, r) => benchConcurrency(target, s, r, o));
    printConcurrency(f, o);
  }
  if (only.has("deadline")) {
    const o = { hooks: int("deadline-hooks", values["deadline-hooks"]) };
    const f = await withServices((s, r) => benchDeadline(target, s, r, o));
    printDeadline(f, o);
  }
  if (only.has("startup")) {
    const o = { runs: int("startup-runs", values["startup-runs"]) };
    printStartup(await benchStartup(o), o);
  }
} finally {
  await target.stop();
}
