import type { HookResult } from "../schema/result.ts";

/**
 * The metrics port (contract §8): what the portable code counts, without knowing how. On Node it
 * is prom-client (platform/node/prom-metrics.ts); on Workers nothing (`noMetrics`): Workers
 * Analytics and the logs count there. Every label value is from a fixed set: never a container
 * name, a task ARN or a URL.
 */

/** Where an event came from: `POST /v1/events/ecs` (or the Lambda rule), `POST /v1/events/docker`. */
export type EventRuntime = "ecs" | "docker";

/**
 * What became of an event: `handled` (hooks planned or run, maybe none), `duplicate` (already
 * handled), `ignored` (not an event hookd acts on), `invalid` (a bad event or label), `failed`
 * (a dependency failed: ECS or the store; the sender should retry).
 */
export type EventResult = "handled" | "duplicate" | "ignored" | "invalid" | "failed";

/**
 * One delivery attempt of a run to HOOKD_RESULTS_URL (contract §7): `delivered` (2xx), `retry`
 * (any other answer or none: it stays in the outbox), `gone` (410: deliveries to that URL stop),
 * `expired` (given up after 24 h).
 */
export type DeliveryOutcome = "delivered" | "retry" | "gone" | "expired";

export interface Metrics {
  /** Every hook run, once, when its result is made (runHook calls this). */
  hookRun(result: Pick<HookResult, "phase" | "handler" | "outcome" | "durationMs">): void;
  event(runtime: EventRuntime, result: EventResult): void;
  resultsDelivery(outcome: DeliveryOutcome): void;
  /** A store call that failed (the store's own error, or its deadline). */
  storeError(): void;
}

/** The Prometheus text exposition, where the runtime keeps metrics (Node); absent on Workers. */
export interface MetricsScrape {
  contentType: string;
  text(): Promise<string>;
}

export type MetricsRegistry = Metrics & { scrape?: MetricsScrape };

/** Counts nothing: the default where no registry is given (Workers, tests of other things). */
export const noMetrics: Metrics = {
  hookRun() {},
  event() {},
  resultsDelivery() {},
  storeError() {},
};
