/**
 * `npm run bench:docker [-- --containers 50] [--rounds 2]`: `--containers` labelled containers
 * started at once, watched by `hookd docker watch` (its own process, hooks in-process). Measured
 * per container: the engine's start event time (`timeNano`) → the postStart httpGet request at the
 * target. Baseline, in the same run: the same start event → its arrival on the benchmark's own
 * `/events` stream (the floor that any watcher pays). Every hook must run exactly once.
 * Needs a Docker engine: DOCKER_HOST, else the private one of scripts/test-docker.sh.
 * Traffic goes only to 127.0.0.1 and the Docker socket; the containers are removed at the end.
 */
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { createDockerApi } from "../src/platform/node/docker-api.ts";
import { dockerHost, int, ms, spawnHookd, summary } from "./support.ts";

const IMAGE = "hookd-test/busybox:latest";
const COMMAND = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"];

const { values } = parseArgs({
  options: { containers: { type: "string", default: "50" }, rounds: { type: "string", default: "2" } },
});
const count = int("containers", values.containers);
const rounds = int("rounds", values.rounds);

/** Only this run's containers: watchers of other runs on the same engine must not see them, nor ours theirs. */
const RUN_ID = `${process.pid}-${Date.now()}`;
const RUN_LABEL = `hookd-bench.run=${RUN_ID}`;

async function startWatcher(env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const args = ["docker", "watch", "--json", "--label", RUN_LABEL];
  return (await spawnHookd(args, env, /watching container starts/)).proc;
}

/** Engine nanoseconds (as text) → epoch milliseconds with a fraction. */
const nanosToMs = (nanos: string) => Number(BigInt(nanos) / 1000n) / 1000;

const host = await dockerHost();
const api = createDockerApi(host);

// The target: one path per container; every request is counted and timed.
const hits = new Map<string, number[]>();
const target = createServer((req, res) => {
  const at = Date.now();
  const name = (req.url ?? "").replace(/^\/warm\//, "");
  hits.set(name, [...(hits.get(name) ?? []), at]);
  res.writeHead(200).end("warm");
});
await new Promise<void>((r) => target.listen(0, "127.0.0.1", r));
const port = (target.address() as AddressInfo).port;

// The baseline: the benchmark's own event stream, and the engine's time of each start.
const startEvents = new Map<string, { timeNano: string; receivedAt: number }>();
const events = new AbortController();
const filters = encodeURIComponent(JSON.stringify({ type: ["container"], event: ["start"] }));
const stream = await api.request({
  method: "GET",
  path: `/events?filters=${filters}`,
  signal: events.signal,
  stream: true,
});
void (async () => {
  let pending = "";
  try {
    for await (const chunk of stream.body) {
      const receivedAt = Date.now();
      pending += String(chunk);
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        const name = /"name":"([^"]+)"/.exec(line)?.[1];
        const timeNano = /"timeNano":(\d+)/.exec(line)?.[1];
        if (name && timeNano) startEvents.set(name, { timeNano, receivedAt });
      }
    }
  } catch {
    // aborted at the end
  }
})();

const watcher = await startWatcher({ ...process.env, DOCKER_HOST: host });
const hookLatency: number[] = [];
const eventLatency: number[] = [];
const problems: string[] = [];
const allNames: string[] = [];
let walls: number[] = [];

try {
  for (let round = 0; round < rounds; round++) {
    const names = Array.from({ length: count }, (_, i) => `hookd-bench-start-${process.pid}-${round}-${i}`);
    allNames.push(...names);
    for (const name of names) {
      await api.json("POST", `/containers/create?name=${name}`, {
        Image: IMAGE,
        Cmd: COMMAND,
        Labels: {
          "hookd-bench.run": RUN_ID,
          "hookd.lifecycle": JSON.stringify({ postStart: { httpGet: { path: `/warm/${name}`, port } } }),
        },
        HostConfig: { NetworkMode: "host" },
      });
    }
    const started = Date.now();
    await Promise.all(names.map((name) => api.json("POST", `/containers/${name}/start`)));
    const deadline = Date.now() + 120_000;
    while (names.some((n) => !hits.has(n)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    // Late duplicates would show up here.
    await new Promise((r) => setTimeout(r, 1_000));
    walls = [...walls, Math.max(...names.map((n) => hits.get(n)?.[0] ?? Number.NaN)) - started];
    for (const name of names) {
      const times = hits.get(name) ?? [];
      const event = startEvents.get(name);
      if (times.length !== 1) problems.push(`${name}: postStart ran ${times.length} times`);
      const first = times[0];
      if (!event || first === undefined) continue;
      hookLatency.push(first - nanosToMs(event.timeNano));
      eventLatency.push(event.receivedAt - nanosToMs(event.timeNano));
    }
    await Promise.all(names.map((n) => api.json("DELETE", `/containers/${n}?force=true`)));
  }
} finally {
  watcher.kill("SIGTERM");
  events.abort();
  target.close();
  await Promise.all(
    allNames.map((n) => api.json("DELETE", `/containers/${n}?force=true`).catch(() => undefined)),
  );
  await api.close();
}

const hook = summary(hookLatency);
const floor = summary(eventLatency);
console.log(`Docker adapter: ${rounds} round(s) of ${count} labelled containers started at once`);
console.log("| series | p50 | p99 | max |");
console.log("| --- | --- | --- | --- |");
console.log(
  `| start event → postStart request at the target | ${ms(hook.p50)} | ${ms(hook.p99)} | ${ms(hook.max)} |`,
);
console.log(
  `| start event → the benchmark's own /events stream | ${ms(floor.p50)} | ${ms(floor.p99)} | ${ms(floor.max)} |`,
);
console.log(
  `hook p50 / event-delivery p50 = ${(hook.p50 / floor.p50).toFixed(2)}; hook p50 − event p50 = ${ms(hook.p50 - floor.p50)}`,
);
console.log(`wall, first start call → last hook request: ${walls.map((w) => ms(w)).join(", ")}`);
console.log(
  problems.length === 0
    ? `all ${rounds * count} postStart hooks ran exactly once`
    : `PROBLEMS:\n  ${problems.join("\n  ")}`,
);
process.exitCode = problems.length === 0 ? 0 : 1;
