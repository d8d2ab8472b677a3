import type { ExecutionContext, Hono } from "hono";
import { createApp } from "../http/app.ts";
import { errorBody } from "../http/errors.ts";
import { consoleLogger } from "../platform/web/console-log.ts";
import { createFetchHttpClient } from "../platform/web/fetch-http.ts";
import { createWorkerStore } from "../platform/web/worker-store.ts";
import { awsEcsOptionsFromEnv, createAwsEcsApiFor } from "../runtimes/ecs/aws-api.ts";
import { createEcsDeps } from "../runtimes/ecs/deps.ts";
import { errorText } from "../schema/labels.ts";
import { type Env, loadConfig } from "../schema/settings.ts";
import { createResultsDelivery } from "../store/delivery.ts";
import type { Store } from "../store/port.ts";
import { createRecorder } from "../store/recorder.ts";

/** The Durable Object bound as HOOKD_STORE in wrangler.toml: the Worker must export its class. */
export { HookdStore } from "../store/durable-object.ts";

// One app per isolate and set of bindings: building it per request would cost on every hook.
let cached: { env: Env; app: Hono } | undefined;

function appFor(env: Env): Hono {
  if (cached?.env === env) return cached.app;
  const config = loadConfig(env);
  const store = createWorkerStore(env, config, consoleLogger);
  const app = createApp({
    config,
    engine: { http: createFetchHttpClient(), log: consoleLogger, config },
    background: {
      run(work, ctx) {
        if (ctx) ctx.waitUntil(work);
        else void work;
      },
    },
    auth: {
      refuse: "HOOKD_TOKEN is not set: the Worker refuses /v1 until it is (wrangler secret put HOOKD_TOKEN)",
    },
    // No process.env and no credential chain here: keys and endpoint come from the bindings.
    store,
    // Runs go into the outbox with the run; the Durable Object's alarm sends them (contract §7).
    recorder: createRecorder({
      store,
      log: consoleLogger,
      delivery: resultsDeliveryFor(config, store)?.entryFor,
    }),
    ecs: createEcsDeps({
      apiFor: createAwsEcsApiFor(awsEcsOptionsFromEnv(env, "workers", config.ecsTimeoutSeconds)),
      runs: store,
    }),
  });
  cached = { env, app };
  return app;
}

function resultsDeliveryFor(config: ReturnType<typeof loadConfig>, store: Store) {
  if (!config.resultsUrl || !config.resultsSecret) return undefined;
  return createResultsDelivery({
    store,
    url: config.resultsUrl,
    secret: config.resultsSecret,
    log: consoleLogger,
  });
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    let app: Hono;
    try {
      app = appFor(env);
    } catch (err) {
      // Settings are read on the first request here: a bad one is named in every answer.
      return Response.json(errorBody("bad_settings", errorText(err)), { status: 500 });
    }
    return app.fetch(request, env, ctx);
  },
};
