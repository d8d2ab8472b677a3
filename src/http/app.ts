import { Hono } from "hono";
import type { Config } from "../config.ts";
import type { EngineDeps } from "../engine/types.ts";
import type { BackgroundRunner } from "../platform/ports.ts";
import type { EcsDeps } from "../runtimes/ecs/deps.ts";
import { VERSION } from "../version.ts";
import { type AuthOptions, bearerAuth } from "./auth.ts";
import { ApiError, errorResponse } from "./errors.ts";
import { openApiDocument, type RouteDoc } from "./openapi.ts";
import { dockerRoutes } from "./routes/docker.ts";
import { ecsRoutes } from "./routes/ecs.ts";
import { hookRoutes } from "./routes/hooks.ts";

export interface AppDeps {
  config: Config;
  engine: EngineDeps;
  background: BackgroundRunner;
  auth: AuthOptions["whenUnset"];
  /** The ECS adapter (ECS API client, task definition cache, run store); the ECS routes answer 503 without it. */
  ecs?: EcsDeps;
}

export interface RouteModule {
  docs: RouteDoc[];
  register(app: Hono, deps: AppDeps): void;
}

/** Who may call /v1: the service's tokens, and what happens without one. */
export function serviceAuth(deps: AppDeps): AuthOptions {
  return { tokens: deps.config.tokens, whenUnset: deps.auth };
}

/** The whole service as a Hono app; every runtime dependency comes in through `deps`. */
export function createApp(
  deps: AppDeps,
  modules: RouteModule[] = [hookRoutes, dockerRoutes, ecsRoutes],
): Hono {
  const app = new Hono();
  app.onError((err, c) => errorResponse(c, err));
  app.notFound((c) =>
    errorResponse(c, new ApiError(404, "not_found", `no route ${c.req.method} ${c.req.path}`)),
  );

  app.get("/healthz", (c) => c.json({ status: "ok", version: VERSION }));
  const doc = openApiDocument(modules.flatMap((m) => m.docs));
  app.get("/openapi.json", (c) => c.json(doc));

  app.use("/v1/*", bearerAuth(serviceAuth(deps)));
  for (const m of modules) m.register(app, deps);
  return app;
}
