import type { ExecutionContext, Hono } from "hono";
import { type Env, loadConfig } from "../config.ts";
import { createApp } from "../http/app.ts";
import { consoleLogger } from "../platform/web/console-log.ts";
import { createFetchHttpClient } from "../platform/web/fetch-http.ts";

// One app per isolate and set of bindings: building it per request would cost on every hook.
let cached: { env: Env; app: Hono } | undefined;

function appFor(env: Env): Hono {
  if (cached?.env === env) return cached.app;
  const config = loadConfig(env);
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
  });
  cached = { env, app };
  return app;
}

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    return appFor(env).fetch(request, env, ctx);
  },
};
