import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import { type HookdProcess, type JsonLine, startHookd } from "../support/cli.ts";
import { TEST_IMAGE } from "../support/docker.ts";

const run = promisify(execFile);

/** Exits on SIGTERM at once, so that stops in tests are quick. */
export const TRAPPING_SLEEP = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"];

/**
 * For a container whose postStart fails at once: the stop can come before its shell has set the
 * TERM trap, and PID 1 without a handler ignores SIGTERM, so the stop waits for the SIGKILL at the
 * end of the grace period (30 s by default). A short grace period bounds that wait.
 */
export const SHORT_GRACE = { "hookd.termination-grace-period-seconds": "3" };

/**
 * Every container of this test file carries this label, and its watchers watch only those: other
 * test runs on the same engine (and the other files of this one) neither see nor disturb them.
 */
export const RUN_LABEL = `hookd-test.run=${randomBytes(4).toString("hex")}`;

export function uniqueName(prefix: string): string {
  return `hookd-dt-${prefix}-${randomBytes(3).toString("hex")}`;
}

export async function docker(host: string, args: string[]): Promise<string> {
  const { stdout } = await run("docker", args, { env: { ...process.env, DOCKER_HOST: host } });
  return stdout.trim();
}

/** `docker run -d --network host` with labels; returns the container id. */
export async function runContainer(
  host: string,
  name: string,
  labels: Record<string, string>,
  options: { restart?: string; command?: string[] } = {},
): Promise<string> {
  const args = ["run", "-d", "--network", "host", "--name", name, "--label", RUN_LABEL];
  for (const [k, v] of Object.entries(labels)) args.push("--label", `${k}=${v}`);
  if (options.restart) args.push("--restart", options.restart);
  args.push(TEST_IMAGE, ...(options.command ?? TRAPPING_SLEEP));
  return await docker(host, args);
}

export async function inspectState(
  host: string,
  name: string,
): Promise<{ Running: boolean; StartedAt: string; FinishedAt: string }> {
  return JSON.parse(await docker(host, ["inspect", "-f", "{{json .State}}", name]));
}

export async function removeContainers(host: string, names: string[]): Promise<void> {
  if (names.length > 0) await docker(host, ["rm", "-f", ...names]).catch(() => undefined);
}

/** `hookd docker watch --json`, once it says it is watching. */
export async function startWatcher(
  host: string,
  env: Record<string, string> = {},
  extraArgs: string[] = [],
): Promise<HookdProcess> {
  const watcher = startHookd(["docker", "watch", "--json", "--label", RUN_LABEL, ...extraArgs], {
    DOCKER_HOST: host,
    HOOKD_BACKOFF_INITIAL_MS: "500",
    HOOKD_BACKOFF_MAX_MS: "4000",
    ...env,
  });
  await watcher.waitFor(
    "the watcher to connect",
    (l) => l.event === "status" && /watching/.test(String(l.message)),
  );
  return watcher;
}

export function hookLines(p: HookdProcess, container: string, phase?: string): JsonLine[] {
  return p.lines.filter(
    (l) => l.event === "hook" && l.container === container && (!phase || l.phase === phase),
  );
}
