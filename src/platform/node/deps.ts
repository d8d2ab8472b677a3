import { type Env, loadConfig } from "../../config.ts";
import type { AppDeps } from "../../http/deps.ts";
import { awsEcsOptionsFromEnv, createAwsEcsApiFor } from "../../runtimes/ecs/aws-api.ts";
import { createEcsDeps } from "../../runtimes/ecs/deps.ts";
import { createInProcessBackground } from "./background.ts";
import { createPromMetrics } from "./prom-metrics.ts";
import { createStdoutLogger } from "./stdout-log.ts";
import { createNodeHttpClient } from "./undici-http.ts";

export type NodeDeps = AppDeps & {
  background: ReturnType<typeof createInProcessBackground>;
  /** Writes the log lines still batched (Lambda freezes the process after each answer). */
  flushLog(): void;
  close(): Promise<void>;
};

/** Everything the app needs on Node, from the environment. */
export function createNodeDeps(env: Env = process.env): NodeDeps {
  const config = loadConfig(env);
  const http = createNodeHttpClient({ denyCidrs: config.denyCidrs });
  const log = createStdoutLogger();
  const background = createInProcessBackground();
  const metrics = createPromMetrics();
  return {
    config,
    engine: { http, log, config, metrics },
    metrics,
    background,
    auth: "allow",
    ecs: createEcsDeps({ apiFor: createAwsEcsApiFor(awsEcsOptionsFromEnv(env, "node")) }),
    flushLog: () => log.flush(),
    async close() {
      await background.drain();
      log.flush();
      await http.close?.();
    },
  };
}
