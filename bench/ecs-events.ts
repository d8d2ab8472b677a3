/**
 * `npm run bench:ecs [-- --events 3000] [--concurrency 50] [--rounds 3] [--hook-ms 1000]`
 *
 * EventBridge gives an API destination 5 s, so hookd must acknowledge ECS task events fast and
 * run the hooks in the background. The service is `hookd serve` in its own process, its ECS
 * client (the real AWS SDK) pointed at the fake ECS endpoint of test/support/fake-ecs.ts; every
 * event is a RUNNING event of a new task of one task definition revision whose postStart
 * httpGet target answers after `--hook-ms`. Series, interleaved round by round:
 *
 * - **events (202)**: `POST /v1/events/ecs`, answered once the hooks are planned;
 * - **events ?wait=true**: the same, answered once the hooks have run (what a synchronous design costs);
 * - **GET /healthz**: the floor of the HTTP stack at the same concurrency.
 *
 * Also counted: DescribeTaskDefinition calls per 1,000 events of one revision (goal 1; every block
 * of 1,000 events uses a fresh revision, so its first burst finds the cache cold), and that every
 * hook ran exactly once. The service's CPU time per request (from /proc) is the figure the
 * machine's load changes least.
 * Traffic goes only to 127.0.0.1.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import { startFakeEcs } from "../test/support/fake-ecs.ts";
import { fakeEcsEnv } from "../test/support/fake-ecs-env.ts";
import { TOKEN } from "./client.ts";
import { cpuMsOf } from "./processes.ts";
import { int, median, spawnHookdHttp, summary } from "./support.ts";

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "3000" },
    concurrency: { type: "string", default: "50" },
    rounds: { type: "string", default: "3" },
    "hook-ms": { type: "string", default: "1000" },
  },
});
const EVENTS = int("events", values.events);
const CONCURRENCY = int("concurrency", values.concurrency);
const ROUNDS = int("rounds", values.rounds);
const HOOK_MS = int("hook-ms", values["hook-ms"]);

const startService = (env: NodeJS.ProcessEnv) => spawnHookdHttp(["serve"], env);

interface Series {
  name: string;
  perSecond: number[];
  latencies: number[];
  /** The service's CPU time (user + system) per request, ms: what the load on the machine does not change much. */
  cpuMsPerRequest: number[];
}

/** `count` requests, `CONCURRENCY` at a time; every answer must have the expected status. */
async function load(
  pool: Pool,
  count: number,
  request: (i: number) => { method: "GET" | "POST"; path: string; body?: string },
  expected: number,
  series: Series,
): Promise<void> {
  let next = 0;
  const cpuBefore = cpuMsOf(svc.proc.pid);
  const started = performance.now();
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const r = request(i);
      const t0 = performance.now();
      const res = await pool.request({
        method: r.method,
        path: r.path,
        headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
        ...(r.body !== undefined && { body: r.body }),
      });
      const text = await res.body.text();
      series.latencies.push(performance.now() - t0);
      if (res.statusCode !== expected)
        throw new Error(`${r.method} ${r.path}: ${res.statusCode} ${text.slice(0, 300)}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  series.perSecond.push(count / ((performance.now() - started) / 1000));
  series.cpuMsPerRequest.push((cpuMsOf(svc.proc.pid) - cpuBefore) / count);
}

const fake = await startFakeEcs();
let hooks = 0;
const target = createServer((_req, res) => {
  hooks += 1;
  setTimeout(() => res.writeHead(200).end("warm"), HOOK_MS);
});
await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
const targetPort = (target.address() as AddressInfo).port;
const svc = await startService({
  ...process.env,
  ...fakeEcsEnv(fake.url),
  HOOKD_TOKEN: TOKEN,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
});
const pool = new Pool(svc.url, { connections: CONCURRENCY, pipelining: 1 });

let revision = 0;
let taskSerial = 0;
function newRevision(): string {
  revision += 1;
  const arn = `arn:aws:ecs:us-west-2:111122223333:task-definition/bench:${revision}`;
  fake.putTaskDefinition(arn, [
    {
      name: "app",
      dockerLabels: {
        "hookd.lifecycle": JSON.stringify({ postStart: { httpGet: { path: "/warm", port: targetPort } } }),
      },
    },
  ]);
  return arn;
}
function event(taskDefinitionArn: string): string {
  taskSerial += 1;
  const taskArn = `arn:aws:ecs:us-west-2:111122223333:task/bench/${taskSerial.toString(16).padStart(32, "0")}`;
  return JSON.stringify({
    version: "0",
    id: `bench-${taskSerial}`,
    "detail-type": "ECS Task State Change",
    source: "aws.ecs",
    account: "111122223333",
    time: new Date().toISOString(),
    region: "us-west-2",
    resources: [taskArn],
    detail: {
      clusterArn: "arn:aws:ecs:us-west-2:111122223333:cluster/bench",
      taskArn,
      taskDefinitionArn,
      desiredStatus: "RUNNING",
      lastStatus: "RUNNING",
      version: 2,
      containers: [
        {
          name: "app",
          lastStatus: "RUNNING",
          runtimeId: `${taskSerial}-app`,
          taskArn,
          networkInterfaces: [{ privateIpv4Address: "127.0.0.1" }],
        },
      ],
    },
  });
}

const series = {
  accepted: {
    name: "events (202, hooks in background)",
    perSecond: [],
    latencies: [],
    cpuMsPerRequest: [],
  } as Series,
  waited: { name: "events ?wait=true", perSecond: [], latencies: [], cpuMsPerRequest: [] } as Series,
  healthz: { name: "GET /healthz (floor)", perSecond: [], latencies: [], cpuMsPerRequest: [] } as Series,
};
const describePer1000: number[] = [];
let expectedHooks = 0;

const runs: Record<keyof typeof series, () => Promise<void>> = {
  async accepted() {
    // A fresh revision for every 1,000 events: each block starts with a cold cache, under full concurrency.
    const revisions = Array.from({ length: Math.ceil(EVENTS / 1000) }, newRevision);
    const before = fake.callsOf("DescribeTaskDefinition").length;
    await load(
      pool,
      EVENTS,
      (i) => ({ method: "POST", path: "/v1/events/ecs", body: event(revisions[Math.floor(i / 1000)] ?? "") }),
      202,
      series.accepted,
    );
    expectedHooks += EVENTS;
    const calls = fake.callsOf("DescribeTaskDefinition").length - before;
    describePer1000.push((calls * 1000) / EVENTS);
  },
  async waited() {
    const arn = newRevision();
    // Fewer: each answer waits for its hook.
    const count = Math.max(CONCURRENCY, Math.round(EVENTS / 5));
    await load(
      pool,
      count,
      () => ({ method: "POST", path: "/v1/events/ecs?wait=true", body: event(arn) }),
      200,
      series.waited,
    );
    expectedHooks += count;
  },
  async healthz() {
    await load(pool, EVENTS, () => ({ method: "GET", path: "/healthz" }), 200, series.healthz);
  },
};

// Warm-up: connections, JIT, the SDK client.
await load(pool, CONCURRENCY * 4, () => ({ method: "GET", path: "/healthz" }), 200, {
  name: "",
  perSecond: [],
  latencies: [],
  cpuMsPerRequest: [],
});
const order = Object.keys(runs) as Array<keyof typeof series>;
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < order.length; k++) {
    const name = order[(round + k) % order.length];
    if (name) await runs[name]();
  }
}
// Every accepted hook must have run exactly once.
const deadline = Date.now() + 60_000;
while (hooks < expectedHooks && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));

const rows = Object.values(series).map((s) => {
  const latency = summary(s.latencies);
  return {
    name: s.name,
    rps: median(s.perSecond),
    p50: latency.p50,
    p99: latency.p99,
    cpu: median(s.cpuMsPerRequest),
  };
});
console.log(
  `hookd ECS intake: ${EVENTS} events × ${ROUNDS} rounds, concurrency ${CONCURRENCY}, hook ${HOOK_MS} ms, Node ${process.version}`,
);
console.log("| series | per second (median of rounds) | p50 | p99 | service CPU per request |");
console.log("| --- | --- | --- | --- | --- |");
for (const r of rows) {
  const cpu = `${r.cpu.toFixed(2)} ms`;
  console.log(
    `| ${r.name} | ${r.rps.toFixed(0)} | ${r.p50.toFixed(1)} ms | ${r.p99.toFixed(1)} ms | ${cpu} |`,
  );
}
const [accepted, waited, healthz] = rows;
if (accepted && waited && healthz) {
  console.log(`- events acknowledged / healthz = ${(accepted.rps / healthz.rps).toFixed(2)}`);
  console.log(`- events acknowledged / ?wait=true = ${(accepted.rps / waited.rps).toFixed(1)}×`);
}
console.log(
  `- DescribeTaskDefinition calls per 1,000 events of one revision, per round: ${describePer1000.map((n) => n.toFixed(2)).join(", ")} (goal 1)`,
);
console.log(
  `- hooks run: ${hooks} of ${expectedHooks} accepted${hooks === expectedHooks ? " (each once)" : " — MISSING OR EXTRA"}`,
);
console.log(`- StopTask calls: ${fake.callsOf("StopTask").length} (expected 0: every hook succeeds)`);

await pool.close();
svc.proc.kill("SIGTERM");
await new Promise((r) => svc.proc.once("exit", r));
target.closeAllConnections();
target.close();
await fake.close();
if (hooks !== expectedHooks) process.exitCode = 1;
