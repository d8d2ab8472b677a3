import type { RestartPolicy } from "../schema/labels.ts";
import type { HookResult } from "../schema/result.ts";

/** What the adapter must do to the container after a hook (the kubelet's consequences). */
export type Action = "kill" | "none";

/** A failed or timed-out postStart kills the container; a preStop result changes nothing (the stop follows anyway). */
export function actionAfter(result: HookResult | null): Action {
  return result && result.phase === "postStart" && result.outcome !== "succeeded" ? "kill" : "none";
}

/** Docker's restart policy names, as hookd's (Kubernetes') ones. */
export function restartPolicyFromDocker(name: string | undefined): RestartPolicy {
  switch (name) {
    case "always":
    case "unless-stopped":
      return "Always";
    case "on-failure":
      return "OnFailure";
    default:
      return "Never";
  }
}

/** Whether a container killed for a failed postStart comes back (a failed hook counts as a failure). */
export function shouldRestart(policy: RestartPolicy): boolean {
  return policy !== "Never";
}

/** Kubernetes' crash-loop backoff: initial, doubled each time, capped; reset after 10 minutes of running. */
export function backoffDelayMs(restarts: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, restarts));
}

export const BACKOFF_RESET_MS = 10 * 60 * 1000;

/** The grace period where nothing else sets one (contract §1: `hookd.termination-grace-period-seconds`). */
export const DEFAULT_GRACE_SECONDS = 30;

/** `max(2 s, what is left of the grace period)`: the stop's own timeout after preStop. */
export function stopTimeoutSeconds(graceSeconds: number, elapsedMs: number): number {
  return Math.max(2, Math.ceil(graceSeconds - elapsedMs / 1000));
}
