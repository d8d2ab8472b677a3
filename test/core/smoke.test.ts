import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeServer } from "../../src/entry/node.ts";
import { post, startService, startTarget, type TestTarget } from "../support/servers.ts";

describe("service smoke", () => {
  let svc: NodeServer;
  let target: TestTarget;
  beforeAll(async () => {
    svc = await startService({ HOOKD_TOKEN: "t0k" });
    target = await startTarget((_req, res) => res.writeHead(204).end());
  });
  afterAll(async () => {
    await svc.close();
    await target.close();
  });

  it("answers /healthz without auth", async () => {
    const res = await fetch(`${svc.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
  });

  it("runs an httpGet hook against a loopback server", async () => {
    const { status, json } = await post(
      svc.url,
      "/v1/hooks/run",
      {
        phase: "postStart",
        handler: { httpGet: { port: target.port } },
        container: { ip: "127.0.0.1", name: "web" },
      },
      "t0k",
    );
    expect(status).toBe(200);
    expect(json).toMatchObject({
      outcome: "succeeded",
      statusCode: 204,
      container: "web",
      handler: "httpGet",
    });
    expect(target.requests.at(-1)?.url).toBe("/");
  });

  it("refuses /v1 without the token", async () => {
    const { status, json } = await post(svc.url, "/v1/hooks/run", {});
    expect(status).toBe(401);
    expect(json).toMatchObject({ error: { code: "unauthorized" } });
  });
});
