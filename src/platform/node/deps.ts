import type { AppDeps } from "../../http/deps.ts";
import { awsEcsOptionsFromEnv, createAwsEcsApiFor } from "../../runtimes/ecs/aws-api.ts";
import { createEcsDeps } from "../../runtimes/ecs/deps.ts";
import { type Env, loadConfig } from "../../schema/settings.ts";
import { countingFailures } from "../../store/counted.ts";
import { createResultsDelivery, type ResultsDelivery } from "../../store/delivery.ts";
import type { Store } from "../../store/port.ts";
import { createRecorder } from "../../store/recorder.ts";
import { createInFlight, type InFlight } from "../in-flight.ts";
import type { Logger } from "../ports.ts";
import { createInProcessBackground } from "./background.ts";
import { createPromMetrics } from "./prom-metrics.ts";
import { createStdoutLogger } from "./stdout-log.ts";
import { createNodeStore } from "./store.ts";
import { createNodeHttpClient } from "./undici-http.ts";

/** How often the outbox is looked at on Node: a run is delivered within about this of being recorded. */
const DELIVERY_TICK_MS = 1_000;

export type NodeDeps = AppDeps & {
  /** Results delivery (HOOKD_RESULTS_URL), when it is on. */
  delivery: ResultsDelivery | undefined;
  background: ReturnType<typeof createInProcessBackground>;
  inFlight: InFlight;
  /** Writes the log lines still batched (Lambda freezes the process after each answer). */
  flushLog(): void;
  close(): Promise<void>;
};

/** Where the JSON log lines go: stdout unless the caller (a test) hands over another logger. */
export type NodeLogger = Logger & { flush(): void };

export interface NodeDepsOptions {
  /** Which runtime's default store applies (contract §7): the SQLite file on Node, DynamoDB on Lambda. */
  runtime?: "node" | "lambda";
  /** A store the caller already opened (and closes itself): the Docker watcher shares its own. */
  store?: Store;
  /** Default: JSON lines on stdout. */
  log?: NodeLogger;
}

/** Everything the app needs on Node, from the environment. */
export function createNodeDeps(env: Env = process.env, options: NodeDepsOptions = {}): NodeDeps {
  const config = loadConfig(env);
  const metrics = createPromMetrics();
  // Every store call of this service goes through here: each failure counts once in /metrics.
  const store = countingFailures(
    options.store ??
      createNodeStore({
        setting: config.store,
        retentionHours: config.retentionHours,
        runtime: options.runtime ?? "node",
      }),
    metrics.storeError,
  );
  const http = createNodeHttpClient({ denyCidrs: config.denyCidrs });
  const log = options.log ?? createStdoutLogger();
  const background = createInProcessBackground();
  const delivery =
    config.resultsUrl && config.resultsSecret
      ? createResultsDelivery({
          store,
          url: config.resultsUrl,
          secret: config.resultsSecret,
          log,
          onOutcome: (outcome) => metrics.resultsDelivery(outcome),
        })
      : undefined;
  // Deliveries run on their own timer, never on a hook's or an event's path; what is left in the
  // outbox at exit is sent by the next process sharing the store.
  const ticker = delivery && setInterval(() => void delivery.flush(), DELIVERY_TICK_MS);
  ticker?.unref();
  const inFlight = createInFlight();
  return {
    config,
    engine: { http, log, config, metrics, inFlight },
    metrics,
    inFlight,
    background,
    auth: "allow",
    store,
    recorder: createRecorder({ store, log, delivery: delivery?.entryFor }),
    delivery,
    ecs: createEcsDeps({
      apiFor: createAwsEcsApiFor(awsEcsOptionsFromEnv(env, "node", config.ecsTimeoutSeconds)),
      runs: store,
    }),
    flushLog: () => log.flush(),
    async close() {
      clearInterval(ticker);
      await background.drain();
      log.flush();
      await http.close?.();
      if (!options.store) await store.close();
    },
  };
}
