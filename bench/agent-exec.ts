/**
 * `npm run bench:agent [-- --rounds 100] [--concurrent 50]`: exec of `sh -c 'exit 0'` in one
 * container through the exec agent (docker mode, measured at its HTTP API, the agent in its own
 * process) against `docker exec` of the same container through the CLI, and the three raw Engine
 * API calls (create, start, inspect) as the floor; interleaved in one run, so that load on the
 * machine hits every series alike. Then `--concurrent` execs at once through the agent.
 * Needs a Docker engine: DOCKER_HOST, else the private one of scripts/test-docker.sh.
 * Traffic goes only to 127.0.0.1 and the Docker socket; the agent and the container stop with the run.
 */
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { Pool } from "undici";
import { createDockerApi } from "../src/platform/node/docker-api.ts";
import { dockerHost, int, ms, run, spawnHookdHttp, summary } from "./support.ts";

const IMAGE = "hookd-test/busybox:latest";
const TOKEN = "bench-agent-token";
const COMMAND = ["sh", "-c", "exit 0"];

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "100" },
    warmup: { type: "string", default: "10" },
    concurrent: { type: "string", default: "50" },
  },
});
const rounds = int("rounds", values.rounds);
const warmup = int("warmup", values.warmup);
const concurrent = int("concurrent", values.concurrent);

const startAgent = (env: NodeJS.ProcessEnv) => spawnHookdHttp(["agent", "--mode", "docker"], env);

const host = await dockerHost();
const env = { ...process.env, DOCKER_HOST: host, HOOKD_AGENT_TOKEN: TOKEN };
const name = `hookd-bench-agent-${process.pid}`;
await run("docker", ["run", "-d", "--network", "host", "--name", name, IMAGE, "tail", "-f", "/dev/null"], {
  env,
});
const agent = await startAgent(env);
const client = new Pool(agent.url, { connections: concurrent + 8 });
const api = createDockerApi(host);

/** The agent's own `durationMs` of each measured exec: its Docker calls, without its HTTP hop. */
const agentInside: number[] = [];

async function viaAgent(): Promise<number> {
  const res = await client.request({
    method: "POST",
    path: "/v1/exec",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ containerId: name, command: COMMAND, timeoutMs: 30_000 }),
  });
  const answer = (await res.body.json()) as { exitCode?: number; durationMs?: number };
  if (res.statusCode !== 200 || answer.exitCode !== 0)
    throw new Error(`agent answered ${res.statusCode}: ${JSON.stringify(answer)}`);
  return answer.durationMs ?? Number.NaN;
}

/** The agent's HTTP hop alone: GET /healthz on the same keep-alive pool. */
async function agentHop(): Promise<void> {
  const res = await client.request({ method: "GET", path: "/healthz" });
  await res.body.dump();
}

async function viaCli(): Promise<void> {
  await run("docker", ["exec", name, ...COMMAND], { env });
}

async function viaRawApi(): Promise<void> {
  const { Id } = await api.json<{ Id: string }>("POST", `/containers/${name}/exec`, {
    AttachStdout: true,
    AttachStderr: true,
    Cmd: COMMAND,
  });
  const started = await api.request({
    method: "POST",
    path: `/exec/${Id}/start`,
    body: { Detach: false },
    stream: true,
  });
  await started.body.dump({ limit: Number.POSITIVE_INFINITY });
  const info = await api.json<{ ExitCode: number }>("GET", `/exec/${Id}/json`);
  if (info.ExitCode !== 0) throw new Error(`raw exec exit code ${info.ExitCode}`);
}

const series = { agent: viaAgent, cli: viaCli, raw: viaRawApi, hop: agentHop };
type Name = keyof typeof series;
const samples: Record<Name, number[]> = { agent: [], cli: [], raw: [], hop: [] };
try {
  console.log(
    `hookd bench: exec agent — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "?"}`,
  );
  for (let i = 0; i < warmup; i++) for (const fn of Object.values(series)) await fn();
  const names = Object.keys(series) as Name[];
  for (let i = 0; i < rounds; i++) {
    // Rotate the order every round, so that no series always follows another.
    for (let k = 0; k < names.length; k++) {
      const n = names[(i + k) % names.length] as Name;
      const t0 = performance.now();
      const inside = await series[n]();
      samples[n].push(performance.now() - t0);
      if (typeof inside === "number") agentInside.push(inside);
    }
  }
  const s = {
    agent: summary(samples.agent),
    cli: summary(samples.cli),
    raw: summary(samples.raw),
    hop: summary(samples.hop),
    inside: summary(agentInside),
  };
  console.log(
    `\nexec of ${JSON.stringify(COMMAND)}, ${rounds} rounds interleaved (after ${warmup} warm-up):`,
  );
  console.log("series                         p50        p99       mean");
  const row = (label: string, x: { p50: number; p99: number; mean: number }) =>
    console.log(
      `${label.padEnd(28)}${ms(x.p50).padStart(9)}${ms(x.p99).padStart(11)}${ms(x.mean).padStart(11)}`,
    );
  row("agent (HTTP API)", s.agent);
  row("docker exec (CLI)", s.cli);
  row("raw Engine API (3 calls)", s.raw);
  row("  agent: its own durationMs", s.inside);
  row("  agent: GET /healthz (hop)", s.hop);
  const ratio = s.agent.p50 / s.cli.p50;
  console.log(
    `\nagent p50 / CLI p50 = ${ratio.toFixed(2)} (goal ≤ 0.75: ${ratio <= 0.75 ? "met" : "NOT met"}); ` +
      `raw API p50 / CLI p50 = ${(s.raw.p50 / s.cli.p50).toFixed(2)}; agent p50 − raw p50 = ${ms(s.agent.p50 - s.raw.p50)}`,
  );
  // Where the agent's time goes: its Docker calls (durationMs, measured inside it) against the
  // same calls made here, and the rest (HTTP hop, JSON, validation) against a bare GET /healthz.
  console.log(
    `where the agent's time goes (p50): Docker calls inside the agent ${ms(s.inside.p50)} (the raw calls here: ${ms(s.raw.p50)}); ` +
      `the rest ${ms(s.agent.p50 - s.inside.p50)} (a bare GET /healthz to the agent: ${ms(s.hop.p50)})`,
  );

  const t0 = performance.now();
  const results = await Promise.allSettled(Array.from({ length: concurrent }, () => viaAgent()));
  const wall = performance.now() - t0;
  const failures = results.filter((r) => r.status === "rejected");
  console.log(
    `\n${concurrent} concurrent execs through the agent: ${concurrent - failures.length} ok, ${failures.length} failed, ${ms(wall)} wall`,
  );
  for (const f of failures.slice(0, 3))
    console.log(`  failure: ${String((f as PromiseRejectedResult).reason)}`);
  process.exitCode = failures.length === 0 ? 0 : 1;
} finally {
  agent.proc.kill("SIGTERM");
  await client.close();
  await api.close();
  await run("docker", ["rm", "-f", name], { env }).catch(() => undefined);
}
