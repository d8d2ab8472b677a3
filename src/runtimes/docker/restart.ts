import { restartPolicyFromDocker, shouldRestart } from "../../engine/policy.ts";
import type { DockerApi } from "../../platform/node/docker-api.ts";
import { errorText, LABEL, type RestartPolicy, restartPolicyFromLabels } from "../../schema/labels.ts";
import { type DockerContainer, inspectContainer, startContainer } from "./containers.ts";
import { abortableDelay } from "./events.ts";
import type { HookService } from "./hook-service.ts";
import type { Reporter } from "./report.ts";
import type { RestartBackoff } from "./restart-backoff.ts";
import { gracePeriodOf, stopWithPreStop } from "./stop.ts";

/** What the watcher lends the kill and the restart after a failed postStart. */
export interface RestartContext {
  api: DockerApi;
  service: HookService;
  reporter: Reporter;
  backoff: RestartBackoff;
  signal: AbortSignal;
  /** Work that outlives the start's handling (a restart after its backoff); awaited on shutdown. */
  track(work: Promise<void>, about: { container: { id: string; name: string }; what: string }): void;
}

/** After a failed postStart: preStop, stop within the grace period, then the restart policy. */
export async function killAndMaybeRestart(started: DockerContainer, ctx: RestartContext): Promise<void> {
  const { api, reporter } = ctx;
  const container = (await inspectContainer(api, started.id)) ?? started;
  if (!container.running || container.startedAt !== started.startedAt) {
    reporter.action(
      container,
      "skip",
      "not killed: the container already exited, or was restarted, since its postStart failed",
    );
    return;
  }
  await stopWithPreStop(api, ctx.service, container, gracePeriodOf(container, reporter), reporter);
  const { policy, decidedBy } = restartPolicyOf(container);
  if (!shouldRestart(policy)) {
    reporter.action(
      container,
      "stopped",
      `restart policy ${policy} (${decidedBy}): the container stays stopped`,
    );
    return;
  }
  const stopped = await inspectContainer(api, container.id);
  if (!stopped) return;
  const { delayMs, restart } = await ctx.backoff.next(container.id);
  reporter.action(
    container,
    "backoff",
    `restart policy ${policy} (${decidedBy}): restart #${restart} in ${delayMs}ms`,
  );
  // The wait is not part of this start's handling: a start by someone else meanwhile is handled at once.
  ctx.track(
    restartAfter(container, stopped, delayMs, restart, ctx).catch((err: unknown) =>
      reporter.error(container, `restart failed: ${errorText(err)}`),
    ),
    { container: { id: container.id, name: container.name }, what: "restart" },
  );
}

async function restartAfter(
  container: DockerContainer,
  stopped: DockerContainer,
  delayMs: number,
  restart: number,
  ctx: RestartContext,
): Promise<void> {
  const { api, reporter } = ctx;
  await abortableDelay(delayMs, ctx.signal);
  if (ctx.signal.aborted) {
    reporter.action(container, "skip", "restart dropped: the watcher is stopping");
    return;
  }
  const now = await inspectContainer(api, container.id);
  if (!now || now.running || now.finishedAt !== stopped.finishedAt) {
    reporter.action(
      container,
      "skip",
      "restart dropped: the container was removed, started or stopped by someone else",
    );
    return;
  }
  await startContainer(api, container.id);
  // Its postStart runs again when the engine reports the start.
  reporter.action(container, "restart", `restarted (restart #${restart})`);
}

/**
 * The policy after a failed postStart and what decided it, for the message: the label, else the
 * container's Docker restart policy (a bad label was already a warning of the hook's result).
 */
function restartPolicyOf(container: DockerContainer): { policy: RestartPolicy; decidedBy: string } {
  const label = restartPolicyFromLabels(container.labels);
  if (label.ok && label.value) return { policy: label.value, decidedBy: `label ${LABEL.restartPolicy}` };
  const docker = container.dockerRestartPolicy ?? "no";
  const ignored = label.ok
    ? ""
    : `, ${LABEL.restartPolicy} "${container.labels[LABEL.restartPolicy]}" ignored`;
  return {
    policy: restartPolicyFromDocker(container.dockerRestartPolicy),
    decidedBy: `Docker restart policy "${docker}"${ignored}`,
  };
}
