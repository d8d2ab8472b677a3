import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { resolve } from "node:path";

export const HOOKD_BIN = resolve(import.meta.dirname, "../../bin/hookd.mjs");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `hookd ARGS…` as a user would, to completion. */
export function runCli(
  args: string[],
  options: { input?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [HOOKD_BIN, ...args], { env: { ...process.env, ...options.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("error", fail);
    child.on("close", (code) => done({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** JSON lines of a `hookd` child (stdout, and stderr where they are JSON). */
export type JsonLine = Record<string, unknown> & { event?: string; container?: string };

/** A `hookd …` process whose stdout/stderr JSON lines are collected as they come. */
export interface HookdProcess {
  lines: JsonLine[];
  stderr: string[];
  child: ChildProcessWithoutNullStreams;
  exited: Promise<number | null>;
  waitFor(what: string, match: (l: JsonLine) => boolean, timeoutMs?: number): Promise<JsonLine>;
  /** The first match of `pattern` in a plain-text stderr line (`hookd serve`, `hookd agent`). */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  stop(): Promise<number | null>;
}

/** `env` adds to the test's environment; a variable set to undefined there is removed. */
export function startHookd(
  args: string[],
  env: Record<string, string | undefined>,
  options: { cwd?: string } = {},
): HookdProcess {
  const child = spawn(process.execPath, [HOOKD_BIN, ...args], {
    env: { ...process.env, ...env },
    ...(options.cwd !== undefined && { cwd: options.cwd }),
  });
  const lines: JsonLine[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  const collect = (stream: NodeJS.ReadableStream, into: (line: string) => void) => {
    let pending = "";
    stream.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      const parts = pending.split("\n");
      pending = parts.pop() ?? "";
      for (const p of parts) if (p.trim() !== "") into(p);
      for (const w of waiters) w();
    });
  };
  collect(child.stdout, (l) => {
    try {
      lines.push(JSON.parse(l) as JsonLine);
    } catch {
      lines.push({ event: "text", text: l });
    }
  });
  collect(child.stderr, (l) => {
    stderr.push(l);
    try {
      lines.push(JSON.parse(l) as JsonLine);
    } catch {
      // plain text on stderr
    }
  });
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return {
    lines,
    stderr,
    child,
    exited,
    waitFor(what, match, timeoutMs = 30_000) {
      return new Promise((resolvePromise, reject) => {
        const check = () => {
          const found = lines.find(match);
          if (!found) return;
          cleanup();
          resolvePromise(found);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(
            new Error(
              `timed out waiting for ${what}; output so far:\n${stderr.join("\n")}\n${lines.map((l) => JSON.stringify(l)).join("\n")}`,
            ),
          );
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    waitForStderr(pattern, timeoutMs = 30_000) {
      return new Promise((resolvePromise, reject) => {
        const check = () => {
          for (const l of stderr) {
            const m = pattern.exec(l);
            if (m) {
              cleanup();
              resolvePromise(m);
              return;
            }
          }
          if (child.exitCode !== null) fail(`hookd exited (${child.exitCode})`);
        };
        const fail = (why: string) => {
          cleanup();
          reject(new Error(`no stderr line matching ${pattern} (${why}); stderr:\n${stderr.join("\n")}`));
        };
        const timer = setTimeout(() => fail("timed out"), timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        void exited.then(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      return await exited;
    },
  };
}
