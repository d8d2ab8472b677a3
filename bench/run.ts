/**
 * `npm run bench [-- --only dispatch,concurrency,deadline] [--rounds N] [--concurrency N]
 *  [--hooks N] [--repeat N] [--no-relay]`: hookd's hot-path benchmarks, each printed as figures and ratios
 * against a baseline measured in the same run. Traffic goes only to 127.0.0.1; every part is
 * bounded in count and time, and all child processes stop with the run.
 */
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { TOKEN } from "./client.ts";
import { benchConcurrency, printConcurrency } from "./concurrency.ts";
import { benchDeadline, printDeadline } from "./deadline.ts";
import { benchDispatch, type DispatchFigures, printDispatch, printDispatchRuns } from "./dispatch.ts";
import { type Child, openFileLimit, startChild } from "./processes.ts";
import { int } from "./support.ts";

const { values } = parseArgs({
  options: {
    only: { type: "string", default: "dispatch,concurrency,deadline" },
    rounds: { type: "string", default: "5000" },
    warmup: { type: "string", default: "2000" },
    concurrency: { type: "string", default: "1" },
    hooks: { type: "string", default: "5000" },
    "deadline-hooks": { type: "string", default: "500" },
    repeat: { type: "string", default: "1" },
    "no-relay": { type: "boolean", default: false },
    floor: { type: "boolean", default: false },
  },
});
const only = new Set(values.only.split(","));
const hooks = int("hooks", values.hooks);
const repeat = int("repeat", values.repeat);

// 5,000 sockets on each side of each process (client→service, service→target).
const needed = hooks + 200;
const limit = openFileLimit();
if (limit < needed) {
  console.error(
    `bench: the open-file limit is ${limit}, ${needed} are needed: run \`ulimit -n 20000\` first`,
  );
  process.exit(2);
}

console.log(
  `hookd bench — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}`,
);
const target = await startChild("target.ts");
const relay = values["no-relay"] ? undefined : await startChild("bare-relay.ts");
// --floor: the dispatch benchmark's second reference, the floor of any Node relay
// (bench/socket-relay.ts). Off by default: a fourth process in the rotation changes what it measures.
const floor = values.floor && only.has("dispatch") ? await startChild("socket-relay.ts") : undefined;
const serviceEnv = { HOOKD_TOKEN: TOKEN };

/** A fresh service per benchmark, so that its peak RSS belongs to that benchmark. */
async function withService<T>(fn: (service: Child) => Promise<T>): Promise<T> {
  const service = await startChild("service.ts", serviceEnv);
  try {
    return await fn(service);
  } finally {
    await service.stop();
  }
}

try {
  if (only.has("dispatch")) {
    const o = {
      rounds: int("rounds", values.rounds),
      warmupRounds: int("warmup", values.warmup),
      concurrency: int("concurrency", values.concurrency),
    };
    // The direct GET's p50, the ratio's denominator, moves by a quarter from run to run on a small
    // VM: --repeat N runs the whole benchmark N times, each with a fresh service, and sums up.
    const runs: DispatchFigures[] = [];
    for (let i = 0; i < repeat; i++) {
      const f = await withService((s) => benchDispatch(target, s, relay, o, floor));
      printDispatch(f, o);
      runs.push(f);
    }
    if (runs.length > 1) printDispatchRuns(runs);
  }
  if (only.has("concurrency")) {
    const o = { hooks };
    const f = await withService((s) => benchConcurrency(target, s, relay, o));
    printConcurrency(f, o);
  }
  if (only.has("deadline")) {
    const o = { hooks: int("deadline-hooks", values["deadline-hooks"]) };
    const f = await withService((s) => benchDeadline(target, s, relay, o));
    printDeadline(f, o);
  }
} finally {
  await relay?.stop();
  await floor?.stop();
  await target.stop();
}
