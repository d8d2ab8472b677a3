/**
 * CPU per hook with less noise than `npm run bench`: each service alone on CPU 1, the target and
 * this client on CPU 0 (taskset), sequential hooks after 2,000 warm-up, CPU from /proc. Services
 * run in turn, `--reps` times, so that the VM's slow and fast spells fall on all of them.
 *   npm run bench:pinned [-- --rounds 4000] [--reps 3] [service.ts bare-relay.ts socket-relay.ts]
 * `socket-relay.ts+zod+timer` runs the raw-socket relay with those of hookd's kinds of work added
 * (SOCKET_RELAY_ADD, see socket-relay.ts), so that each one's cost can be read beside the others.
 * Needs 2 CPUs and taskset (util-linux).
 */
import { parseArgs } from "node:util";
import { createClient, fmt, hookBody, postHook, TOKEN, timed } from "./client.ts";
import { startChild } from "./processes.ts";
import { int, median } from "./support.ts";

const { values, positionals } = parseArgs({
  options: { rounds: { type: "string", default: "4000" }, reps: { type: "string", default: "3" } },
  allowPositionals: true,
});
const scripts = positionals.length > 0 ? positionals : ["service.ts", "bare-relay.ts", "socket-relay.ts"];
const rounds = int("rounds", values.rounds);
const reps = int("reps", values.reps);

const target = await startChild("target.ts", {}, 0);
const cpu = new Map(scripts.map((s) => [s, [] as number[]]));
const p50 = new Map(scripts.map((s) => [s, [] as number[]]));
for (let rep = 0; rep < reps; rep++) {
  for (const script of scripts) {
    const [file = script, ...added] = script.split("+");
    const env = { HOOKD_TOKEN: TOKEN, ...(added.length > 0 && { SOCKET_RELAY_ADD: added.join(",") }) };
    const svc = await startChild(file, env, 1);
    const client = createClient();
    const options = postHook(svc.origin, hookBody(target.port, "/ok"));
    for (let i = 0; i < 2000; i++) await timed(client, options);
    const cpu0 = svc.cpuMs();
    const ms: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const a = await timed(client, options);
      if (a.status !== 200) throw new Error(`${script}: ${a.status} ${a.text.slice(0, 200)}`);
      ms.push(a.ms);
    }
    cpu.get(script)?.push(((svc.cpuMs() - cpu0) * 1000) / rounds);
    p50.get(script)?.push(median(ms));
    await client.close();
    await svc.stop();
  }
}
console.log(`pinned — ${rounds} sequential hooks per run, ${reps} runs each, the service alone on CPU 1`);
for (const s of scripts) {
  const c = cpu.get(s) ?? [];
  const l = p50.get(s) ?? [];
  console.log(
    `  ${s.padEnd(24)} CPU per hook ${c.map((x) => fmt(x, 0)).join(", ")} µs (median ${fmt(median(c), 0)})   p50 ${l.map((x) => fmt(x, 3)).join(", ")} ms`,
  );
}
await target.stop();
