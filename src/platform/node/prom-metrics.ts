import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";
import type { MetricsRegistry } from "../metrics.ts";

/** From a 5 ms httpGet to a two-minute warm-up: where hooks' durations fall. */
export const HOOK_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

/**
 * The service's metrics (contract §8) in a registry of its own (not prom-client's global one), so
 * that two services in one process (tests, the in-process Docker adapter) do not share counts.
 */
export function createPromMetrics(): MetricsRegistry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const hookRuns = new Counter({
    name: "hookd_hook_runs_total",
    help: "Hook runs, by phase, handler kind and outcome (succeeded, failed, timedOut)",
    labelNames: ["phase", "handler", "outcome"] as const,
    registers: [registry],
  });
  const hookDuration = new Histogram({
    name: "hookd_hook_duration_seconds",
    help: "How long hook runs took, by phase and handler kind",
    labelNames: ["phase", "handler"] as const,
    buckets: HOOK_DURATION_BUCKETS,
    registers: [registry],
  });
  const events = new Counter({
    name: "hookd_events_total",
    help: "Container events received, by runtime (ecs, docker) and result (handled, duplicate, ignored, invalid, failed)",
    labelNames: ["runtime", "result"] as const,
    registers: [registry],
  });
  const deliveries = new Counter({
    name: "hookd_results_deliveries_total",
    help: "Delivery attempts of runs to HOOKD_RESULTS_URL, by outcome (delivered, retry, gone, expired)",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const storeErrors = new Counter({
    name: "hookd_store_errors_total",
    help: "Store calls that failed or passed their deadline",
    registers: [registry],
  });
  return {
    hookRun(r) {
      hookRuns.inc({ phase: r.phase, handler: r.handler, outcome: r.outcome });
      hookDuration.observe({ phase: r.phase, handler: r.handler }, r.durationMs / 1000);
    },
    event: (runtime, result) => events.inc({ runtime, result }),
    resultsDelivery: (outcome) => deliveries.inc({ outcome }),
    storeError: () => storeErrors.inc(),
    scrape: { contentType: registry.contentType, text: () => registry.metrics() },
  };
}

/** The exec agent's metrics: its execs, and the process. */
export interface AgentMetrics {
  exec(mode: string, outcome: "succeeded" | "failed" | "timedOut", durationMs: number): void;
  scrape: { contentType: string; text(): Promise<string> };
}

export function createAgentMetrics(): AgentMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const execs = new Counter({
    name: "hookd_agent_execs_total",
    help: "Execs run by the agent, by mode and outcome (succeeded: exit code 0; failed: another code or none; timedOut)",
    labelNames: ["mode", "outcome"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "hookd_agent_exec_duration_seconds",
    help: "How long execs took, by mode",
    labelNames: ["mode"] as const,
    buckets: HOOK_DURATION_BUCKETS,
    registers: [registry],
  });
  return {
    exec(mode, outcome, durationMs) {
      execs.inc({ mode, outcome });
      duration.observe({ mode }, durationMs / 1000);
    },
    scrape: { contentType: registry.contentType, text: () => registry.metrics() },
  };
}
