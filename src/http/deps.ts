import type { Hono } from "hono";
import type { Config } from "../config.ts";
import type { EngineDeps } from "../engine/types.ts";
import type { MetricsRegistry } from "../platform/metrics.ts";
import type { BackgroundRunner } from "../platform/ports.ts";
import type { EcsDeps } from "../runtimes/ecs/deps.ts";
import type { Store } from "../store/port.ts";
import type { Recorder } from "../store/recorder.ts";
import type { AuthOptions } from "./auth.ts";
import type { RouteDoc } from "./openapi.ts";

export interface AppDeps {
  config: Config;
  engine: EngineDeps;
  background: BackgroundRunner;
  auth: AuthOptions["whenUnset"];
  /** Claims, runs and the results outbox (contract §7), shared by every instance on the same store. */
  store: Store;
  /** Logs and records every hook result (the one place that does). */
  recorder: Recorder;
  /** The ECS adapter (ECS API client, task definition cache, run store); the ECS routes answer 503 without it. */
  ecs?: EcsDeps;
  /**
   * What the service counts (contract §8); the same object as `engine.metrics`. Without a
   * `scrape` (Workers), GET /metrics is a 404 that says where to look instead.
   */
  metrics?: MetricsRegistry;
}

export interface RouteModule {
  docs: RouteDoc[];
  register(app: Hono, deps: AppDeps): void;
}

/** Who may call /v1: the service's tokens, and what happens without one. */
export function serviceAuth(deps: AppDeps): AuthOptions {
  return { tokens: deps.config.tokens, whenUnset: deps.auth };
}
