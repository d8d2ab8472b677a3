import { bearerAuth } from "../auth.ts";
import { type RouteModule, serviceAuth } from "../deps.ts";
import { ApiError } from "../errors.ts";

/** Where a runtime without a metrics registry (Workers) sends whoever asks for /metrics. */
export const NO_METRICS_HERE =
  "no /metrics on Cloudflare Workers: hook runs and events are in the Worker's logs (wrangler tail, Workers Logs) and its request metrics in Workers Analytics";

/** `GET /metrics`: the Prometheus text exposition (contract §8), behind the same token as /v1. */
export const metricsRoutes: RouteModule = {
  docs: [
    {
      method: "get",
      path: "/metrics",
      summary:
        "Prometheus metrics (text exposition format 0.0.4): hook runs, durations, events, deliveries, store errors, process; the token as for /v1",
      responses: {
        "200": { description: "text/plain; version=0.0.4: the metrics" },
        "404": { description: "this runtime keeps no metrics (Workers): see its logs and Workers Analytics" },
      },
    },
  ],
  register(app, deps) {
    const scrape = deps.metrics?.scrape;
    if (!scrape) {
      // Nothing to protect: the answer is the same with a token or without.
      app.get("/metrics", () => {
        throw new ApiError(404, "no_metrics", NO_METRICS_HERE);
      });
      return;
    }
    app.get("/metrics", bearerAuth(serviceAuth(deps)), async (c) => {
      const text = await scrape.text();
      return c.body(text, 200, { "content-type": scrape.contentType });
    });
  },
};
