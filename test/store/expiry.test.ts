import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/http/app.ts";
import { createNodeDeps } from "../../src/platform/node/deps.ts";
import { createSqliteStore } from "../../src/store/sqlite.ts";
import { tempDir } from "../support/temp-dir.ts";
import { serviceLog } from "../support/test-log.ts";

const HOUR = 3_600_000;

/**
 * HOOKD_RETENTION_HOURS through the API: the service's own app over a real SQLite file whose
 * clock the test moves, so that a week passes without waiting for it.
 */
describe("a run past its retention is gone from /v1/runs", () => {
  const dir = tempDir("hookd-expiry");
  let clock = Date.now();
  const store = createSqliteStore({ path: join(dir, "hookd.db"), retentionMs: 168 * HOUR, now: () => clock });
  const deps = createNodeDeps({ HOOKD_TOKEN: "t" }, { store, log: serviceLog() });
  const app = createApp(deps);
  afterAll(async () => {
    await deps.close();
    await store.close();
  });
  const call = async (path: string, body?: unknown) => {
    const res = await app.request(path, {
      method: body === undefined ? "GET" : "POST",
      headers: { authorization: "Bearer t", "content-type": "application/json" },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it("listed and readable within the retention, gone from both after it", async () => {
    const ran = await call("/v1/hooks/run", {
      phase: "preStop",
      handler: { sleep: { seconds: 0 } },
      container: { name: "short-lived" },
    });
    expect(ran.status).toBe(200);
    const listed = (await call("/v1/runs?container=short-lived")).json.runs as Array<{ id: string }>;
    expect(listed).toHaveLength(1);
    const id = listed[0]?.id ?? "";

    clock += 167 * HOUR;
    expect((await call(`/v1/runs/${id}`)).status).toBe(200);
    clock += 2 * HOUR;
    expect((await call("/v1/runs?container=short-lived")).json).toEqual({ runs: [], next: null });
    const gone = await call(`/v1/runs/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.json).toMatchObject({ error: { code: "run_not_found" } });
  });
});
