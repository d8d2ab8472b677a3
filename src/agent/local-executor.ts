import { spawn } from "node:child_process";
import { stat } from "node:fs/promises";
import { constants } from "node:os";
import { raceDeadline } from "../engine/deadline.ts";
import { ApiError } from "../http/errors.ts";
import { errorText } from "../schema/labels.ts";
import { CappedOutput } from "./output.ts";
import { killProcessTree } from "./process-tree.ts";
import { type ExecOutcome, type ExecRequest, type Executor, KILL_DRAIN_MS } from "./protocol.ts";
import { type ResolvedUser, resolveUser } from "./users.ts";

type Ended = { code: number | null; signal: NodeJS.Signals | null } | { error: Error };

/**
 * Runs exec requests where the agent runs (inside the app's container, or a sidecar sharing its
 * namespaces): no shell, the request's env over the agent's, its working directory, its user
 * (switching needs root). Each command leads its own process group; at the deadline, or when
 * the caller goes away, the whole group and every descendant is killed.
 */
export function createLocalExecutor(options: { outputLimit?: number } = {}): Executor {
  return {
    mode: "local",
    async run(req, signal): Promise<ExecOutcome> {
      const startedAt = performance.now();
      const user = req.user === undefined ? undefined : await userAllowed(req.user);
      if (req.workingDir !== undefined) await checkDirectory(req.workingDir);
      const [program = "", ...args] = req.command;
      const child = spawn(program, args, {
        ...(req.workingDir !== undefined && { cwd: req.workingDir }),
        env: environment(req, user),
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
        ...(user && process.getuid?.() === 0 && { uid: user.uid, gid: user.gid }),
      });
      const output = new CappedOutput(options.outputLimit);
      child.stdout.on("data", (chunk: Buffer) => output.add("stdout", chunk));
      child.stderr.on("data", (chunk: Buffer) => output.add("stderr", chunk));
      const ended = new Promise<Ended>((resolve) => {
        child.once("close", (code, sig) => resolve({ code, signal: sig }));
        child.once("error", (error) => resolve({ error }));
      });
      const remaining = req.timeoutMs - (performance.now() - startedAt);
      const first = await raceDeadline(ended, remaining, signal);
      if (first === "done") {
        const end = await ended;
        if ("error" in end) return spawnFailure(req, end.error);
        return { exitCode: exitCodeOf(end), ...output.result(), timedOut: false };
      }
      if (child.pid !== undefined) killProcessTree(child.pid);
      if ((await raceDeadline(ended, KILL_DRAIN_MS)) !== "done") {
        child.stdout.destroy();
        child.stderr.destroy();
      }
      return { exitCode: null, ...output.result(), timedOut: true };
    },
    close: async () => undefined,
  };
}

async function userAllowed(spec: string): Promise<ResolvedUser> {
  const user = await resolveUser(spec);
  const me = process.getuid?.();
  if (me !== 0 && me !== user.uid) {
    throw new ApiError(
      403,
      "user_switch_needs_root",
      `running as user "${spec}" (uid ${user.uid}) needs the agent to run as root; it runs as uid ${me ?? "unknown"}`,
      [{ path: "user", message: "the agent cannot switch users" }],
    );
  }
  return user;
}

async function checkDirectory(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new ApiError(
      400,
      "working_dir_not_found",
      `workingDir "${dir}" is not a directory where the agent runs`,
      [{ path: "workingDir", message: "no such directory" }],
    );
  }
}

function environment(req: ExecRequest, user: ResolvedUser | undefined): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...(user?.home !== undefined && { HOME: user.home }),
    ...(user?.name !== undefined && { USER: user.name, LOGNAME: user.name }),
    ...req.env,
  };
}

/** As a shell reports it: the exit status, or 128 + the signal's number. */
function exitCodeOf(end: { code: number | null; signal: NodeJS.Signals | null }): number | null {
  if (end.code !== null) return end.code;
  return end.signal ? 128 + (constants.signals[end.signal] ?? 0) : null;
}

/** A program that cannot be started answers like a shell would: 127 not found, 126 not runnable. */
function spawnFailure(req: ExecRequest, error: Error): ExecOutcome {
  const code = (error as NodeJS.ErrnoException).code;
  return {
    exitCode: code === "ENOENT" ? 127 : 126,
    output: `exec ${JSON.stringify(req.command[0])}: ${errorText(error)}\n`,
    truncated: false,
    timedOut: false,
  };
}
