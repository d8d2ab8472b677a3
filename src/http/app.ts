import { Hono } from "hono";
import { VERSION } from "../version.ts";
import { bearerAuth } from "./auth.ts";
import { type AppDeps, type RouteModule, serviceAuth } from "./deps.ts";
import { ApiError, errorResponse } from "./errors.ts";
import { openApiDocument } from "./openapi.ts";
import { dockerRoutes } from "./routes/docker.ts";
import { ecsRoutes } from "./routes/ecs.ts";
import { hookRoutes } from "./routes/hooks.ts";
import { metricsRoutes } from "./routes/metrics.ts";
import { runRoutes } from "./routes/runs.ts";

/** The whole service as a Hono app; every runtime dependency comes in through `deps`. */
export function createApp(
  deps: AppDeps,
  modules: RouteModule[] = [hookRoutes, dockerRoutes, ecsRoutes, runRoutes, metricsRoutes],
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
