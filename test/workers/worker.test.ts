import { describe, expect, inject, it } from "vitest";
import { BAD_SETTINGS, expectNamed } from "../support/bad-settings.ts";
import {
  bundledWorker,
  callWorker,
  mainWorker,
  postJson,
  WORKER_TEST_TOKEN,
  type WorkerUnderTest,
} from "./worker-client.ts";

const target = inject("loopbackTarget");
const targetPort = Number(new URL(target).port);

function hook(httpGet: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    phase: "postStart",
    handler: { httpGet: { port: targetPort, ...httpGet } },
    container: { name: "web", ip: "127.0.0.1" },
    ...extra,
  };
}

async function result(res: Response): Promise<Record<string, unknown>> {
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

// global-setup.ts runs `wrangler deploy --dry-run --outdir <tmp>` offline; a failure must fail here.
it("the Worker bundle builds with wrangler deploy --dry-run", () => {
  const bundle = inject("workerBundle");
  if (!bundle.ok) expect.fail(bundle.error);
  expect(bundle.path).toMatch(/worker\.js$/);
  expect(bundle.bytes).toBeGreaterThan(10_000);
});

// The same behaviour from the Worker as vite serves it and from the bundle a deploy would upload.
describe.each<[string, () => WorkerUnderTest]>([
  ["main Worker (src/entry/worker.ts)", () => mainWorker],
  ["deployed bundle (wrangler deploy --dry-run)", () => bundledWorker("HOOKD_BUNDLE")],
])("%s in workerd", (_name, worker) => {
  it("answers GET /healthz without auth", async () => {
    const res = await worker().fetch("http://hookd.test/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", version: expect.any(String) });
  });

  it("records every run in the store, readable by later requests (each its own request to the Worker)", async () => {
    const name = `stored-${crypto.randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 3; i++) {
      const ran = await result(
        await postJson(
          worker(),
          "/v1/hooks/run",
          hook({ path: "/ok" }, { container: { name, ip: "127.0.0.1" } }),
        ),
      );
      expect(ran.warnings).toEqual([]);
    }
    for (let i = 0; i < 3; i++) {
      const res = await worker().fetch(`http://hookd.test/v1/runs?container=${name}`, {
        headers: { authorization: `Bearer ${WORKER_TEST_TOKEN}` },
      });
      expect(res.status, await res.clone().text()).toBe(200);
      expect(((await res.json()) as { runs: unknown[] }).runs).toHaveLength(3);
    }
  });

  it("answers 401 in the contract's shape to a wrong or missing token", async () => {
    for (const token of ["wrong-token", null]) {
      const res = await postJson(worker(), "/v1/hooks/run", hook({}), token);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({
        error: { code: "unauthorized", message: expect.stringContaining("HOOKD_TOKEN"), issues: [] },
      });
    }
  });

  it("runs an httpGet hook against a loopback server with fetch: path, query and default headers", async () => {
    const body = await result(await postJson(worker(), "/v1/hooks/run", hook({ path: "/warm?x=1" })));
    expect(body).toMatchObject({
      outcome: "succeeded",
      statusCode: 200,
      handler: "httpGet",
      container: "web",
    });
    const seen = JSON.parse(String(body.output)) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe("/warm?x=1");
    expect(seen.headers["user-agent"]).toMatch(/^hookd\//);
    expect(seen.headers.accept).toBe("*/*");
  });

  it("reports a 503 as failed with the status", async () => {
    const body = await result(await postJson(worker(), "/v1/hooks/run", hook({ path: "/status/503" })));
    expect(body).toMatchObject({ outcome: "failed", statusCode: 503, reason: "FailedPostStartHook" });
    expect(body.message).toBe(`httpGet ${target}/status/503: status 503`);
  });

  it("follows a same-host redirect", async () => {
    const body = await result(
      await postJson(worker(), "/v1/hooks/run", hook({ path: "/redirect?to=/status/204" })),
    );
    expect(body).toMatchObject({ outcome: "succeeded", statusCode: 204 });
  });

  it("times out a target that never answers at timeoutSeconds", async () => {
    const body = await result(
      await postJson(worker(), "/v1/hooks/run", hook({ path: "/hang" }, { timeoutSeconds: 1 })),
    );
    expect(body).toMatchObject({ outcome: "timedOut", reason: "FailedPostStartHook" });
    expect(body.durationMs).toBeGreaterThanOrEqual(900);
  });

  it("refuses a literal IP in HOOKD_DENY_CIDRS (default: cloud metadata)", async () => {
    const body = await result(
      await postJson(worker(), "/v1/hooks/run", hook({ host: "169.254.169.254", port: 80 })),
    );
    expect(body).toMatchObject({ outcome: "failed" });
    expect(body.message).toContain("169.254.0.0/16");
  });

  it("answers 400 naming the field to a bad body", async () => {
    const res = await postJson(worker(), "/v1/hooks/run", hook({ port: "no such port!" }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(body.error.code).toBe("invalid_request");
    expect(body.error.issues.map((i) => i.path)).toContain("handler.httpGet.port");
  });
});

describe("Worker without HOOKD_TOKEN", () => {
  const refusal = {
    error: {
      code: "token_not_configured",
      message: expect.stringMatching(/HOOKD_TOKEN is not set.*wrangler secret put HOOKD_TOKEN/),
      issues: [],
    },
  };

  it("the deployed bundle refuses /v1, naming the missing secret, and still answers /healthz", async () => {
    const worker = bundledWorker("HOOKD_BUNDLE_NO_TOKEN");
    const res = await postJson(worker, "/v1/hooks/run", hook({}), null);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual(refusal);
    expect((await worker.fetch("http://hookd.test/healthz")).status).toBe(200);
  });

  it("the main Worker refuses /v1 even with a bearer token, naming the missing secret", async () => {
    const req = new Request("http://hookd.test/v1/hooks/run", {
      method: "POST",
      headers: { authorization: "Bearer anything", "content-type": "application/json" },
      body: JSON.stringify(hook({})),
    });
    const res = await callWorker(req, { HOOKD_TOKEN: undefined });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual(refusal);
  });
});

describe("Worker with a bad setting", () => {
  it("names the setting in every answer (settings are read on the first request)", async () => {
    const res = await callWorker(new Request("http://hookd.test/healthz"), {
      HOOKD_DEFAULT_TIMEOUT_SECONDS: "soon",
    });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({
      error: {
        code: "bad_settings",
        message: expect.stringMatching(
          /HOOKD_DEFAULT_TIMEOUT_SECONDS="soon": expected a whole number of seconds from 1 to 86400/,
        ),
        issues: [],
      },
    });
  });

  it("names every bad setting of contract §6, its value and what is allowed", async () => {
    for (const bad of BAD_SETTINGS) {
      const res = await callWorker(new Request("http://hookd.test/v1/hooks/run", { method: "POST" }), {
        [bad.variable]: bad.value,
      });
      expect(res.status, bad.variable).toBe(500);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("bad_settings");
      expectNamed(body.error.message, bad);
    }
  });
});
