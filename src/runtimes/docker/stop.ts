import { DEFAULT_GRACE_SECONDS, stopTimeoutSeconds } from "../../engine/policy.ts";
import type { DockerApi } from "../../platform/node/docker-api.ts";
import { errorText, gracePeriodFromLabels, LABEL } from "../../schema/labels.ts";
import type { HookResult } from "../../schema/result.ts";
import { type DockerContainer, stopContainer } from "./containers.ts";
import type { DockerEventBody, HookService } from "./hook-service.ts";
import type { Reporter } from "./report.ts";

/** `-t`, else the `hookd.termination-grace-period-seconds` label, else 30 (a bad label is reported, not fatal). */
export function gracePeriodOf(container: DockerContainer, reporter: Reporter, override?: number): number {
  if (override !== undefined) return override;
  const grace = gracePeriodFromLabels(container.labels);
  if (grace.ok) return grace.value ?? DEFAULT_GRACE_SECONDS;
  // Named by the label, as the hook's warnings are (schema/labels.ts labelWarnings).
  const issue = grace.issues[0];
  reporter.error(
    container,
    `${issue ? `${issue.path}: ${issue.message}` : "bad label"}; ignored: ${DEFAULT_GRACE_SECONDS}s applies`,
  );
  return DEFAULT_GRACE_SECONDS;
}

export interface StopOutcome {
  preStop: HookResult | null;
  stopSeconds: number;
}

/**
 * The kubelet's stop: `preStop` (if the container runs and has one) within the grace period, then a
 * stop with `max(2 s, what is left)` before SIGKILL — whatever the hook's outcome. A container that
 * is not running gets no `preStop`.
 */
export async function stopWithPreStop(
  api: DockerApi,
  service: HookService,
  container: DockerContainer,
  graceSeconds: number,
  reporter: Reporter,
): Promise<StopOutcome> {
  const started = Date.now();
  let preStop: HookResult | null = null;
  if (container.running && container.labels[LABEL.lifecycle] !== undefined) {
    try {
      const answer = await service.send({
        phase: "preStop",
        container: eventContainer(container),
        gracePeriodSeconds: graceSeconds,
      });
      preStop = answer.result;
      if (preStop) reporter.hook(container, preStop, answer.action);
    } catch (err) {
      reporter.error(container, `preStop not run: ${errorText(err)}`);
    }
  }
  const stopSeconds = stopTimeoutSeconds(graceSeconds, Date.now() - started);
  reporter.action(container, "stop", `stopping with ${stopSeconds}s before SIGKILL (grace ${graceSeconds}s)`);
  await stopContainer(api, container.id, stopSeconds);
  return { preStop, stopSeconds };
}

/** The container as a Docker event to the service carries it (`POST /v1/events/docker`). */
export function eventContainer(container: DockerContainer): DockerEventBody["container"] {
  return {
    id: container.id,
    name: container.name,
    labels: container.labels,
    ...(container.ip && { ip: container.ip }),
  };
}
