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

/** Starts a long-running `hookd …` and waits until its stderr matches `ready`. */
export function startCli(
  args: string[],
  ready: RegExp,
  env: Record<string, string> = {},
): Promise<{
  child: ChildProcessWithoutNullStreams;
  match: RegExpExecArray;
  output: { stdout: string; stderr: string };
}> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [HOOKD_BIN, ...args], { env: { ...process.env, ...env } });
    const output = { stdout: "", stderr: "" };
    const timer = setTimeout(
      () => fail(new Error(`hookd ${args.join(" ")} not ready: ${output.stderr}`)),
      20_000,
    );
    child.stdout.on("data", (c: Buffer) => {
      output.stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      output.stderr += c.toString();
      const match = ready.exec(output.stderr);
      if (match) {
        clearTimeout(timer);
        done({ child, match, output });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      fail(new Error(`hookd ${args.join(" ")} exited ${code}: ${output.stderr}`));
    });
  });
}
