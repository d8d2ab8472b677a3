import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "..");

export interface Child {
  pid: number;
  port: number;
  origin: string;
  /** VmRSS and VmHWM (peak) of the process, in MiB, from /proc/<pid>/status. */
  memory(): { rssMiB: number; peakMiB: number };
  /** CPU time (user + system) the process has used so far, in ms, from /proc/<pid>/stat. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** USER_HZ: 100 on every Linux that Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const p of running) p.kill("SIGKILL");
});

/** Kills `proc` when the benchmark exits, however it exits: no child outlives a run. */
export function killOnExit(proc: ChildProcess): ChildProcess {
  running.add(proc);
  proc.once("exit", () => running.delete(proc));
  return proc;
}

/** CPU time (user + system) a process has used so far, in ms, from /proc/<pid>/stat (Linux). */
export function cpuMsOf(pid: number | undefined): number {
  try {
    // Fields 14 and 15 (utime, stime) in clock ticks; the command name may hold spaces, so
    // count from the closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/**
 * Starts `bench/<script>` in its own Node process and waits for its `{"port":N}` line. `cpu`
 * pins it to that CPU (taskset execs Node in place: the pid stays the child's).
 */
export async function startChild(
  script: string,
  env: Record<string, string> = {},
  cpu?: number,
): Promise<Child> {
  // For the hookd service only (not the others): HOOKD_BENCH_PROFILE=DIR writes a CPU profile
  // to DIR; HOOKD_BENCH_NODE_FLAGS adds Node flags (e.g. "--max-semi-space-size=8").
  const profile = process.env.HOOKD_BENCH_PROFILE;
  const extra = process.env.HOOKD_BENCH_NODE_FLAGS?.split(/\s+/).filter((f) => f !== "") ?? [];
  const flags =
    script === "service.ts"
      ? [...(profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : []), ...extra]
      : [];
  const node = [process.execPath, ...flags, resolve(ROOT, "bench", script)];
  const [command, ...args] = cpu === undefined ? node : ["taskset", "-c", String(cpu), ...node];
  const proc = spawn(command as string, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    // stdout: hookd's result log, discarded (it is still serialized and written, as in production).
    stdio: ["pipe", "ignore", "pipe"],
  });
  killOnExit(proc);
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`bench: could not start ${script}`);
  const port = await new Promise<number>((ok, fail) => {
    let seen = "";
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const m = /\{"port":(\d+)\}/.exec(seen);
      if (m) {
        proc.stderr?.off("data", onData);
        proc.stderr?.on("data", (more: Buffer) => process.stderr.write(`[${script}] ${more.toString()}`));
        ok(Number(m[1]));
      }
    };
    proc.stderr?.on("data", onData);
    proc.once("exit", (code) =>
      fail(new Error(`bench: ${script} exited (${code}) before listening: ${seen}`)),
    );
  });
  return {
    pid,
    port,
    origin: `http://127.0.0.1:${port}`,
    memory() {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const kib = (field: string) =>
        Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
      return { rssMiB: kib("VmRSS") / 1024, peakMiB: kib("VmHWM") / 1024 };
    },
    cpuMs: () => cpuMsOf(pid),
    stop() {
      return new Promise<void>((done) => {
        if (proc.exitCode !== null) return done();
        const kill = setTimeout(() => proc.kill("SIGKILL"), 5000);
        proc.once("exit", () => {
          clearTimeout(kill);
          done();
        });
        proc.stdin?.end();
      });
    },
  };
}

/** The soft open-file limit of this process (children inherit it). */
export function openFileLimit(): number {
  const limits = readFileSync("/proc/self/limits", "utf8");
  const m = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  return m?.[1] === "unlimited" ? Number.POSITIVE_INFINITY : Number(m?.[1] ?? 1024);
}
