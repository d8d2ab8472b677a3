import { setTimeout as delay, setImmediate as nextTurn } from "node:timers/promises";
import { raceDeadline } from "../engine/deadline.ts";
import { ApiError } from "../http/errors.ts";
import { type DockerApi, DockerApiError, dockerErrorMessage } from "../platform/node/docker-api.ts";
import type { Logger } from "../platform/ports.ts";
import { errorText } from "../schema/labels.ts";
import { DockerStreamDemuxer } from "./docker-stream.ts";
import { CappedOutput } from "./output.ts";
import { cgroupOf, killProcessTree } from "./process-tree.ts";
import { type ExecOutcome, type ExecRequest, type Executor, KILL_DRAIN_MS } from "./protocol.ts";

interface ExecInspect {
  Running: boolean;
  ExitCode: number | null;
  Pid: number;
  ContainerID: string;
}

/** The longest pause between two exec inspects while waiting for the exit code. */
const INSPECT_PAUSE_MAX_MS = 50;

/**
 * Runs exec requests inside containers through the Docker Engine API: exec create, exec start
 * (attached, TTY off, the multiplexed stream), exec inspect for the exit code. Docker cannot kill
 * an exec, so at the deadline the exec's process tree is killed from the host by its PID: the
 * agent must run in the host's PID namespace.
 */
export function createDockerExecutor(options: {
  api: DockerApi;
  log: Logger;
  outputLimit?: number;
}): Executor {
  const { api, log } = options;

  async function createExec(containerId: string, req: ExecRequest): Promise<string> {
    const body = {
      AttachStdin: false,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      Cmd: req.command,
      ...(req.user !== undefined && { User: req.user }),
      ...(req.workingDir !== undefined && { WorkingDir: req.workingDir }),
      ...(req.env !== undefined && { Env: Object.entries(req.env).map(([k, v]) => `${k}=${v}`) }),
    };
    try {
      const created = await api.json<{ Id: string }>(
        "POST",
        `/containers/${encodeURIComponent(containerId)}/exec`,
        body,
      );
      return created.Id;
    } catch (err) {
      throw dockerFailure(containerId, "exec create", err);
    }
  }

  /**
   * The exit code once Docker has recorded it. Docker may still say Running for a moment after
   * the stream ended (longer on a loaded host), and a process that closed its output keeps
   * running: so ask again, at once and then after short growing pauses, until `stop` (the
   * deadline) says the exec is to be killed instead. No fixed sleep.
   */
  async function exitCodeOf(execId: string, stop: { stopped: boolean }): Promise<number | null> {
    for (let attempt = 0; !stop.stopped; attempt++) {
      const info = await api.json<ExecInspect>("GET", `/exec/${execId}/json`);
      if (!info.Running) return info.ExitCode;
      if (attempt < 5) await nextTurn();
      else await delay(Math.min(2 ** (attempt - 5), INSPECT_PAUSE_MAX_MS));
    }
    return null;
  }

  async function killExec(containerId: string, execId: string): Promise<void> {
    const info = await api.json<ExecInspect>("GET", `/exec/${execId}/json`).catch((err: unknown) => {
      log.write({
        level: "error",
        msg: "exec kill: inspect failed",
        containerId,
        execId,
        error: errorText(err),
      });
      return undefined;
    });
    if (!info?.Running || !info.Pid) return;
    const cgroup = cgroupOf(info.Pid);
    // A PID from another namespace, or one reused after the exec ended, must not be killed.
    if (cgroup === undefined || !cgroup.includes(info.ContainerID)) {
      log.write({
        level: "error",
        msg: `exec kill: process ${info.Pid} of exec ${execId} is not visible in container ${containerId}'s cgroup from here; it was NOT killed: run the docker-mode agent in the host's PID namespace (--pid host)`,
      });
      return;
    }
    killProcessTree(info.Pid);
  }

  return {
    mode: "docker",
    async run(req, signal): Promise<ExecOutcome> {
      const startedAt = performance.now();
      const containerId = req.containerId;
      if (containerId === undefined) {
        throw new ApiError(400, "invalid_request", "containerId is required by an agent in docker mode", [
          { path: "containerId", message: "required in docker mode" },
        ]);
      }
      const execId = await createExec(containerId, req);
      let stream: Awaited<ReturnType<DockerApi["request"]>>;
      try {
        stream = await api.request({
          method: "POST",
          path: `/exec/${execId}/start`,
          body: { Detach: false, Tty: false },
          stream: true,
        });
      } catch (err) {
        throw dockerFailure(containerId, "exec start", err);
      }
      if (stream.statusCode !== 200) {
        const text = await stream.body.text();
        throw dockerFailure(
          containerId,
          "exec start",
          new DockerApiError(stream.statusCode, dockerErrorMessage(text)),
        );
      }
      const output = new CappedOutput(options.outputLimit);
      const demuxer = new DockerStreamDemuxer(output);
      const body = stream.body;
      const drained = (async () => {
        try {
          for await (const chunk of body) demuxer.push(chunk as Buffer);
        } catch {
          // The stream broke (or was destroyed after a kill): keep what came.
        }
      })();
      const stop = { stopped: false };
      const finished = drained.then(() => exitCodeOf(execId, stop));
      const remaining = req.timeoutMs - (performance.now() - startedAt);
      const first = await raceDeadline(finished, remaining, signal).catch((err: unknown) => {
        throw dockerFailure(containerId, "exec inspect", err);
      });
      stop.stopped = true;
      if (first === "done") return { exitCode: await finished, ...output.result(), timedOut: false };
      finished.catch(() => undefined);
      await killExec(containerId, execId);
      if ((await raceDeadline(drained, KILL_DRAIN_MS)) !== "done") body.destroy();
      return { exitCode: null, ...output.result(), timedOut: true };
    },
    close: () => api.close(),
  };
}

/** Docker's answer as the agent's error: a missing or stopped container is the caller's 404/409. */
function dockerFailure(containerId: string, step: string, err: unknown): ApiError {
  if (err instanceof DockerApiError) {
    if (err.status === 404) {
      return new ApiError(
        404,
        "container_not_found",
        `container "${containerId}" not found (${err.message})`,
      );
    }
    if (err.status === 409) {
      return new ApiError(
        409,
        "container_not_running",
        `container "${containerId}" is not running, so nothing can be executed in it (${err.message})`,
      );
    }
    return new ApiError(502, "docker_error", `${step} in container "${containerId}": ${err.message}`);
  }
  return new ApiError(
    502,
    "docker_unreachable",
    `${step} in container "${containerId}": the Docker Engine API did not answer: ${errorText(err)}`,
  );
}
