import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeServer } from "../../src/entry/node.ts";
import { createApp } from "../../src/http/app.ts";
import { createNodeDeps, type NodeDeps } from "../../src/platform/node/deps.ts";
import { startService, startTarget, type TestTarget } from "../support/servers.ts";
import { serviceLog } from "../support/test-log.ts";

const TOKEN = "route-token";

interface Answer {
  status: number;
  contentType: string | null;
  wwwAuthenticate: string | null;
  json: unknown;
}

/** The parts of a result that differ from run to run. */
function stable(json: unknown): unknown {
  if (typeof json !== "object" || json === null) return json;
  const { startedAt: _s, durationMs: _d, ...rest } = json as Record<string, unknown>;
  return rest;
}

async function answer(res: Response): Promise<Answer> {
  return {
    status: res.status,
    contentType: res.headers.get("content-type"),
    wwwAuthenticate: res.headers.get("www-authenticate"),
    json: stable(await res.json()),
  };
}

/**
 * On Node the Hono app answers through @hono/node-server and node:http; on Workers and Lambda it
 * answers directly. Both must answer alike, whatever is sent.
 */
describe("POST /v1/hooks/run: the Node service answers as the Hono route does", () => {
  let svc: NodeServer;
  let deps: NodeDeps;
  let app: ReturnType<typeof createApp>;
  let target: TestTarget;

  beforeAll(async () => {
    target = await startTarget((req, res) => {
      res.writeHead(req.url === "/fail" ? 503 : 200).end(req.url);
    });
    svc = await startService({ HOOKD_TOKEN: TOKEN });
    deps = createNodeDeps({ HOOKD_TOKEN: TOKEN, HOOKD_STORE: "memory" }, { log: serviceLog() });
    app = createApp(deps);
  });
  afterAll(async () => {
    await svc.close();
    await deps.close();
    await target.close();
  });

  const hook = (path: string) => ({
    phase: "postStart",
    handler: { httpGet: { port: target.port, path } },
    container: { name: "web", ip: "127.0.0.1" },
  });
  // Bodies are made when the test runs: the target's port is known only then.
  const ok = () => JSON.stringify(hook("/ok"));
  const cases: Array<{ what: string; path?: string; auth?: string; body: () => string }> = [
    { what: "a hook that succeeds", body: ok },
    { what: "a hook that fails", body: () => JSON.stringify(hook("/fail")) },
    { what: "a query string on the path", path: "/v1/hooks/run?trace=1", body: ok },
    { what: "no token", auth: "", body: ok },
    { what: "a wrong token", auth: "Bearer nope", body: ok },
    { what: "an empty body", body: () => "" },
    { what: "invalid JSON", body: () => "{" },
    {
      what: "an invalid request",
      body: () => JSON.stringify({ phase: "later", handler: { tcpSocket: {} } }),
    },
    { what: "a body over 1 MiB", body: () => JSON.stringify({ padding: "x".repeat(1024 * 1024) }) },
  ];

  it.each(cases)("$what", async ({ path = "/v1/hooks/run", auth = `Bearer ${TOKEN}`, body }) => {
    const init = () => ({
      method: "POST",
      headers: { "content-type": "application/json", ...(auth && { authorization: auth }) },
      body: body(),
    });
    const viaNode = await answer(await fetch(`${svc.url}${path}`, init()));
    const viaHono = await answer(await app.request(path, init()));
    expect(viaNode).toEqual(viaHono);
    expect(viaNode.contentType).toBe("application/json");
  });

  it("keeps serving after refusing uploads it did not read", async () => {
    const big = JSON.stringify({ padding: "x".repeat(2 * 1024 * 1024) });
    for (const auth of ["", `Bearer ${TOKEN}`]) {
      const res = await fetch(`${svc.url}/v1/hooks/run`, {
        method: "POST",
        headers: auth ? { authorization: auth } : {},
        body: big,
      });
      expect(res.status).toBe(auth ? 413 : 401);
    }
    const after = await fetch(`${svc.url}/v1/hooks/run`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: ok(),
    });
    expect(((await after.json()) as { outcome: string }).outcome).toBe("succeeded");
  });
});
