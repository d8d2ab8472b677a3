/** What the stand-alone benchmarks (agent, Docker, ECS) share: the engine, hookd as a child, quantiles. */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";

export const ROOT = resolve(import.meta.dirname, "..");
export const run = promisify(execFile);

/** DOCKER_HOST, else the private engine of scripts/test-docker.sh (started if needed). */
export async function dockerHost(): Promise<string> {
  if (process.env.DOCKER_HOST) return process.env.DOCKER_HOST;
  const { stdout } = await run("bash", [resolve(ROOT, "scripts/test-docker.sh"), "start"], {
    timeout: 120_000,
  });
  const host = /DOCKER_HOST=(\S+)/.exec(stdout)?.[1];
  if (!host) throw new Error(`scripts/test-docker.sh printed no DOCKER_HOST: ${stdout}`);
  return host;
}

/** `hookd ARGS…` in its own process, once its stderr matches `ready` (group 1, if any, is returned). */
export function spawnHookd(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<{ proc: ChildProcess; match: string }> {
  const proc = spawn(process.execPath, [resolve(ROOT, "bin/hookd.mjs"), ...args], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  return new Promise((done, fail) => {
    let stderr = "";
    proc.stderr?.on("data", (c: Buffer) => {
      stderr += c.toString();
      const m = ready.exec(stderr);
      if (m) done({ proc, match: m[1] ?? m[0] });
    });
    proc.once("exit", (code) => fail(new Error(`hookd ${args.join(" ")} exited ${code}: ${stderr}`)));
  });
}

/** The q-quantile (0–1) of ascending samples, nearest rank. */
export const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;

export function summary(samples: readonly number[]): { p50: number; p99: number; max: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  return {
    p50: quantile(s, 0.5),
    p99: quantile(s, 0.99),
    max: s.at(-1) ?? Number.NaN,
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

export const ms = (n: number) => `${n.toFixed(1)} ms`;
