/**
 * `npm run bench:store [-- --ops 3000] [--dynamodb-ops 300] [--concurrency 8] [--repeats 3]
 *  [--rounds 1500] [--warmup 500] [--hooks 5000] [--only stores,services]`: claims and run records per second, with their p50/p99, on each
 * store, each against the same rows written raw through the backend's own API in the same
 * repeat; then hookd's dispatch and concurrency benchmarks with recording on (bench/store-services.ts).
 * Everything on 127.0.0.1 and in a temporary folder; bounded in count and time.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createDynamoDbStore } from "../src/store/dynamodb.ts";
import { createMemoryStore } from "../src/store/memory.ts";
import type { Store } from "../src/store/port.ts";
import { createSqliteStore } from "../src/store/sqlite.ts";
import { startDynalite } from "../test/support/dynalite.ts";
import { fmt } from "./client.ts";
import { type Burst, claimBurst, recordBurst, type Writer } from "./store-ops.ts";
import { rawDynamoDb, rawSqlite } from "./store-raw.ts";
import { benchStoreServices } from "./store-services.ts";
import { int, median } from "./support.ts";

const { values } = parseArgs({
  options: {
    ops: { type: "string", default: "3000" },
    "dynamodb-ops": { type: "string", default: "300" },
    concurrency: { type: "string", default: "8" },
    repeats: { type: "string", default: "3" },
    rounds: { type: "string", default: "1500" },
    warmup: { type: "string", default: "500" },
    hooks: { type: "string", default: "5000" },
    only: { type: "string", default: "stores,services" },
  },
});
const only = new Set(values.only.split(","));
const repeats = int("repeats", values.repeats);
const concurrency = int("concurrency", values.concurrency);
const RETENTION_MS = 168 * 3_600_000;

const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(" / ");
console.log(
  `hookd bench:store — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}, load average ${load()}`,
);

/** A store to measure, the raw writes it is compared with (if any) and how many calls per burst. */
interface Subject {
  name: string;
  store: Store;
  raw: (Writer & { close(): void }) | undefined;
  rawName: string;
  ops: number;
}

const storeWriter = (s: Store): Writer => ({
  claim: (key) => s.claim(key),
  record: (run) => s.recordRun(run),
});

type Kind = "claims" | "records";
interface Figures {
  store: Burst[];
  raw: Burst[];
}

async function measure(subject: Subject): Promise<Record<Kind, Figures>> {
  const figures: Record<Kind, Figures> = { claims: { store: [], raw: [] }, records: { store: [], raw: [] } };
  const w = storeWriter(subject.store);
  const rss: number[] = [];
  const heap: number[] = [];
  for (let r = 0; r < repeats; r++) {
    // The store and its baseline alternate, first one then the other, so that the machine's
    // slow spells fall on both.
    const sides = r % 2 === 0 ? (["store", "raw"] as const) : (["raw", "store"] as const);
    for (const side of sides) {
      const writer = side === "store" ? w : subject.raw;
      if (!writer) continue;
      figures.claims[side].push(await claimBurst(writer, `${side}-${r}`, subject.ops, concurrency));
      figures.records[side].push(await recordBurst(writer, subject.ops, concurrency));
    }
    // With --expose-gc (npm run bench:store), what is left after a collection: bounded or not.
    globalThis.gc?.();
    rss.push(process.memoryUsage().rss / 2 ** 20);
    heap.push(process.memoryUsage().heapUsed / 2 ** 20);
  }
  console.log(
    `${subject.name}: ${repeats} repeats of ${subject.ops} claims and ${subject.ops} records, ${concurrency} in flight; ` +
      `bench process after each repeat: RSS ${rss.map((m) => fmt(m, 0)).join(", ")} MiB, heap used ${heap.map((m) => fmt(m, 0)).join(", ")} MiB`,
  );
  return figures;
}

function print(subject: Subject, figures: Record<Kind, Figures>): void {
  for (const kind of ["claims", "records"] as const) {
    const { store, raw } = figures[kind];
    const med = (bs: Burst[], f: (b: Burst) => number) => median(bs.map(f));
    const line = (name: string, bs: Burst[]) =>
      `    ${name.padEnd(34)} ${fmt(
        med(bs, (b) => b.perSecond),
        0,
      ).padStart(7)}/s   p50 ${fmt(
        med(bs, (b) => b.latency.p50),
        3,
      )} ms   p99 ${fmt(
        med(bs, (b) => b.latency.p99),
        3,
      )} ms` +
      `   (per repeat: ${bs.map((b) => fmt(b.perSecond, 0)).join(", ")}/s)` +
      (bs.some((b) => b.failures > 0) ? `   FAILURES ${bs.map((b) => b.failures).join(", ")}` : "");
    console.log(`  ${kind}`);
    console.log(line(subject.name, store));
    if (raw.length === 0) continue;
    console.log(line(subject.rawName, raw));
    const ratio = (f: (b: Burst) => number) => med(store, f) / med(raw, f);
    console.log(
      `    store/raw: rate ${fmt(ratio((b) => b.perSecond))}×   p50 ${fmt(ratio((b) => b.latency.p50))}×   p99 ${fmt(ratio((b) => b.latency.p99))}×`,
    );
  }
}

const dir = mkdtempSync(join(tmpdir(), "hookd-bench-store-"));
const dynalite = only.has("stores") ? await startDynalite() : undefined;
try {
  if (dynalite) {
    // The store and the raw baseline find the endpoint where the AWS SDK reads it, as hookd does.
    Object.assign(process.env, dynalite.env);
    const subjects: Subject[] = [
      {
        name: "memory",
        store: createMemoryStore({ retentionMs: RETENTION_MS }),
        raw: undefined,
        rawName: "",
        ops: int("ops", values.ops),
      },
      {
        name: "sqlite (file, WAL)",
        store: createSqliteStore({ path: join(dir, "store.db"), retentionMs: RETENTION_MS }),
        raw: rawSqlite(join(dir, "raw.db")),
        rawName: "raw node:sqlite INSERT, same rows",
        ops: int("ops", values.ops),
      },
      {
        name: "dynamodb (dynalite)",
        store: createDynamoDbStore({ table: "hookd-bench", retentionMs: RETENTION_MS }),
        raw: rawDynamoDb("hookd-bench"),
        rawName: "raw PutItem, same dynalite",
        ops: int("dynamodb-ops", values["dynamodb-ops"]),
      },
    ];
    for (const subject of subjects) {
      // The first call creates the DynamoDB table; it is not part of any burst.
      await subject.store.claim("bench:warm-up");
      print(subject, await measure(subject));
      await subject.store.close();
      subject.raw?.close();
    }
  }
  if (only.has("services")) {
    await benchStoreServices(join(dir, "service.db"), {
      rounds: int("rounds", values.rounds),
      warmupRounds: int("warmup", values.warmup),
      hooks: int("hooks", values.hooks),
    });
  }
} finally {
  await dynalite?.kill();
  rmSync(dir, { recursive: true, force: true });
  console.log(`load average at the end ${load()}`);
}
