import { describe, expect, it } from "vitest";
import { bundledWorker, mainWorker, WORKER_TEST_TOKEN, type WorkerUnderTest } from "./worker-client.ts";

describe.each<[string, () => WorkerUnderTest]>([
  ["main Worker", () => mainWorker],
  ["deployed bundle", () => bundledWorker("HOOKD_BUNDLE")],
])("GET /metrics on the %s", (_name, worker) => {
  it("is a 404 that points to the Worker's logs and Workers Analytics, with a token or without", async () => {
    for (const headers of [{ authorization: `Bearer ${WORKER_TEST_TOKEN}` }, {}]) {
      const res = await worker().fetch("http://hookd.test/metrics", { headers });
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("no_metrics");
      expect(body.error.message).toMatch(/Workers Analytics/);
      expect(body.error.message).toMatch(/logs/);
    }
  });

  it("lists /metrics in /openapi.json, as on Node", async () => {
    const res = await worker().fetch("http://hookd.test/openapi.json");
    const doc = (await res.json()) as { paths: Record<string, unknown> };
    expect(doc.paths).toHaveProperty("/metrics");
  });
});
