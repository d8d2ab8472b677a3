/** What the stand-alone benchmarks (agent, Docker, ECS) share: the engine, hookd as a child, quantiles. */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { startTestEngine } from "../test/support/docker-engine.ts";
import { killOnExit, ROOT } from "./processes.ts";

export { ROOT };
export const run = promisify(execFile);

/** DOCKER_HOST, else a private engine of scripts/test-docker.sh, stopped when the benchmark exits. */
export async function dockerHost(): Promise<string> {
  return process.env.DOCKER_HOST || (await startTestEngine({ ownerPid: process.pid })).host;
}

/**
 * `hookd ARGS…` in its own process, once its stderr matches `ready` (group 1, if any, is returned).
 * It is killed when the benchmark exits, whatever happens to the benchmark.
 */
export function spawnHookd(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): Promise<{ proc: ChildProcess; match: string }> {
  const proc = killOnExit(
    spawn(process.execPath, [resolve(ROOT, "bin/hookd.mjs"), ...args], {
      env,
      stdio: ["ignore", "ignore", "pipe"],
    }),
  );
  return new Promise((done, fail) => {
    let stderr = "";
    const onData = (c: Buffer) => {
      stderr += c.toString();
      const m = ready.exec(stderr);
      if (!m) return;
      proc.stderr?.off("data", onData);
      proc.stderr?.resume();
      done({ proc, match: m[1] ?? m[0] });
    };
    proc.stderr?.on("data", onData);
    proc.once("exit", (code) => fail(new Error(`hookd ${args.join(" ")} exited ${code}: ${stderr}`)));
  });
}

/** `hookd serve` or `hookd agent` on a free port: the process and the URL it announced. */
export async function spawnHookdHttp(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ proc: ChildProcess; url: string }> {
  const { proc, match } = await spawnHookd([...args, "--port", "0"], env, /listening on (http:\/\/\S+)/);
  return { proc, url: match };
}

/** A whole-number command-line option, ≥ 1: a typo stops the benchmark instead of measuring nothing. */
export function int(name: string, text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`bench: --${name} must be a whole number ≥ 1, got "${text}"`);
  return n;
}

/** The q-quantile (0–1) of ascending samples, nearest rank. */
const quantile = (sorted: readonly number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

export function summary(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    p50: quantile(s, 0.5),
    p99: quantile(s, 0.99),
    max: s.at(-1) ?? Number.NaN,
    mean: s.reduce((a, b) => a + b, 0) / s.length,
  };
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? Number.NaN) + (s[mid] ?? Number.NaN)) / 2;
}

export const ms = (n: number) => `${n.toFixed(1)} ms`;
