import { Agent } from "node:http";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeServer } from "../../src/entry/node.ts";
import { type FakeEcs, startFakeEcs } from "../support/fake-ecs.ts";
import { fakeEcsEnv } from "../support/fake-ecs-env.ts";
import { contentTypes, type FuzzBody, mutatedBodies, strayBodies } from "../support/fuzz-bodies.ts";
import { CLUSTER, TASK, TASK_DEF, validBodies } from "../support/fuzz-routes.ts";
import { lifecycleLabel } from "../support/labels.ts";
import { closedLoopbackPort, expectContractAnswer, send } from "../support/raw-http.ts";
import { startService } from "../support/servers.ts";
import { serviceLog } from "../support/test-log.ts";
import { sleep } from "../support/wait.ts";

const TOKEN = "fuzz-token";
const AUTH = `Bearer ${TOKEN}`;

/** global.gc, exposed at run time when node was not started with --expose-gc. */
function collectGarbage(): () => void {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as unknown;
  if (typeof gc !== "function") throw new Error("could not expose the garbage collector (--expose-gc)");
  return () => {
    gc();
    gc();
  };
}

/** Runs `count` requests, `parallel` at a time, each drawn afresh from `next`. */
async function load(count: number, parallel: number, next: () => Promise<void>): Promise<void> {
  let left = count;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (left-- > 0) await next();
    }),
  );
}

describe("property: malformed input at every route never makes a 5xx", () => {
  let svc: NodeServer;
  let ecs: FakeEcs;
  let routes: ReturnType<typeof validBodies>;
  let logLines = 0;
  const call = (method: string, path: string, options: Parameters<typeof send>[3] = {}) =>
    send(svc.url, method, path, { auth: AUTH, ...options });

  beforeAll(async () => {
    const port = await closedLoopbackPort();
    routes = validBodies(port);
    ecs = await startFakeEcs();
    const labels = lifecycleLabel({ postStart: { httpGet: { port, host: "127.0.0.1" }, timeoutSeconds: 1 } });
    ecs.putTaskDefinition(TASK_DEF, [{ name: "web", dockerLabels: labels, stopTimeout: 2 }]);
    ecs.putTask({
      taskArn: TASK,
      clusterArn: CLUSTER,
      taskDefinitionArn: TASK_DEF,
      lastStatus: "RUNNING",
      desiredStatus: "RUNNING",
      containers: [
        { name: "web", lastStatus: "RUNNING", networkInterfaces: [{ privateIpv4Address: "127.0.0.1" }] },
      ],
    });
    // Thousands of hook log lines (some a megabyte long): counted.
    const log = serviceLog(() => {
      logLines += 1;
    });
    svc = await startService(
      { HOOKD_TOKEN: TOKEN, HOOKD_AGENT_URL: `http://127.0.0.1:${port}`, ...fakeEcsEnv(ecs.url) },
      { log },
    );
  });
  afterAll(async () => {
    await svc?.close();
    await ecs?.close();
  });

  it("accepts every valid body the fuzzing starts from", async () => {
    for (const route of routes) {
      for (const body of route.bodies) {
        const answer = await call("POST", route.path, {
          body: Buffer.from(JSON.stringify(body(1))),
          contentType: "application/json",
        });
        expect(answer.status, `${route.path}: ${answer.text.slice(0, 300)}`).toBe(route.accepted);
      }
    }
  });

  it("POST to every route: wrong types, deep nesting, 1 MB strings, invalid UTF-8, truncated JSON, wrong content types", async () => {
    for (const route of routes) {
      const fresh = fc.integer({ min: 2, max: 2 ** 31 });
      const bodies = fc.oneof(
        ...route.bodies.map((b) => fresh.chain((n) => mutatedBodies(b(n)))),
        strayBodies,
      );
      await fc.assert(
        fc.asyncProperty(bodies, contentTypes, fc.boolean(), async (body: FuzzBody, contentType, chunked) => {
          const answer = await call("POST", route.path, { body: body.bytes, contentType, chunked });
          expectContractAnswer(answer, `POST ${route.path} ${body.what}`);
        }),
        { numRuns: 100 },
      );
    }
  }, 120_000);

  it("answers 413 to a body over 1 MiB, with Content-Length or chunked, and keeps serving", async () => {
    for (const route of routes) {
      for (const chunked of [false, true]) {
        const body = Buffer.from(JSON.stringify({ padding: "x".repeat(1024 * 1024) }));
        const answer = await call("POST", route.path, {
          body,
          contentType: "application/json",
          chunked,
        });
        expectContractAnswer(answer, `POST ${route.path} ${body.length} bytes, chunked: ${chunked}`);
        expect(answer.status).toBe(413);
        expect(JSON.parse(answer.text)).toMatchObject({ error: { code: "body_too_large" } });
      }
    }
    expect((await call("GET", "/healthz")).status).toBe(200);
  });

  it("answers unknown paths, wrong methods and the open routes in the contract's shape", async () => {
    const paths = fc.oneof(
      fc.constantFrom(
        "/healthz",
        "/openapi.json",
        "/v1",
        "/v1/",
        "/v1/hooks",
        "/v1/hooks/run/",
        "/",
        "//",
        "/%",
        "/..%2f",
      ),
      fc.constantFrom(...routes.map((r) => r.path)),
      fc.webPath(),
    );
    const methods = fc.constantFrom("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS");
    await fc.assert(
      fc.asyncProperty(paths, methods, strayBodies, async (path, method, body) => {
        const withBody = method !== "GET" && method !== "HEAD";
        const answer = await call(method, path.startsWith("/") ? path : `/${path}`, {
          contentType: "application/json",
          ...(withBody && { body: body.bytes }),
        });
        if (method === "HEAD") {
          expect(answer.status, `HEAD ${path}`).toBeLessThan(500);
          return;
        }
        expectContractAnswer(answer, `${method} ${path} ${withBody ? body.what : ""}`);
        if (method === "GET" && path === "/healthz") expect(answer.status).toBe(200);
      }),
      { numRuns: 150 },
    );
    const openapi = await call("GET", "/openapi.json");
    expect(openapi.status).toBe(200);
    expect(Object.keys((JSON.parse(openapi.text) as { paths: object }).paths)).toEqual(
      expect.arrayContaining(["/v1/hooks/run", "/v1/events/docker"]),
    );
  });

  it("memory settles after thousands of malformed requests", async () => {
    const gc = collectGarbage();
    const fresh = fc.integer({ min: 2, max: 2 ** 31 });
    const bodies = routes.map((route) => ({
      route,
      arbitrary: fc.oneof(
        {
          weight: 10,
          arbitrary: fc.oneof(
            ...route.bodies.map((b) => fresh.chain((n) => mutatedBodies(b(n), { heavy: false }))),
          ),
        },
        { weight: 3, arbitrary: strayBodies },
        {
          weight: 1,
          arbitrary: fc.oneof(...route.bodies.map((b) => fresh.chain((n) => mutatedBodies(b(n))))),
        },
      ),
    }));
    let sent = 0;
    const next = async () => {
      const pick = bodies[sent++ % bodies.length];
      if (!pick) return;
      const [body] = fc.sample(pick.arbitrary, 1);
      if (!body) return;
      const answer = await call("POST", pick.route.path, {
        body: body.bytes,
        contentType: "application/json",
        agent,
      });
      expectContractAnswer(answer, `POST ${pick.route.path} ${body.what}`);
    };
    // Nothing here is over 1 MiB, so connections can be kept alive.
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    // Let background hooks (1 s deadlines at most) end before each measure.
    const settle = async () => {
      await sleep(1_100);
      gc();
      return process.memoryUsage();
    };
    await load(300, 8, next);
    const before = await settle();
    await load(2_000, 8, next);
    agent.destroy();
    const after = await settle();
    const mb = (n: number) => Math.round(n / 2 ** 20);
    const growth = after.heapUsed - before.heapUsed;
    console.log(
      `fuzz memory: ${sent} requests; heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)} MB, rss ${mb(before.rss)} → ${mb(after.rss)} MB; ${logLines} log lines`,
    );
    expect(growth, `heap grew by ${mb(growth)} MB over 2,000 requests`).toBeLessThan(50 * 2 ** 20);
  }, 120_000);

  it("answers 401 in the contract's shape to any wrong Authorization header", async () => {
    const headers = fc.oneof(
      fc.constant(undefined),
      fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) }),
      fc.string({ unit: fc.constantFrom("a", " ", "\t") }).map((s) => `Bearer ${s}`),
      fc.constantFrom(
        `Bearer ${TOKEN}x`,
        `Bearer ${TOKEN.slice(1)}`,
        `Basic ${TOKEN}`,
        `Bearer`,
        "",
        `Bearer ${TOKEN} ${TOKEN}`,
      ),
    );
    await fc.assert(
      fc.asyncProperty(headers, fc.constantFrom(...routes.map((r) => r.path)), async (auth, path) => {
        const answer = await call("POST", path, {
          auth,
          body: Buffer.from("{}"),
          contentType: "application/json",
        });
        expectContractAnswer(answer, `Authorization: ${auth}`);
        expect(answer.status, `Authorization: ${auth}`).toBe(401);
      }),
      { numRuns: 100 },
    );
  });
});
