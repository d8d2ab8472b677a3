import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeServer } from "../../src/entry/node.ts";
import { post, startService } from "../support/servers.ts";

const TOKENS = "old-token,new-token";

describe("API validation, auth and documents", () => {
  let svc: NodeServer;
  beforeAll(async () => {
    svc = await startService({ HOOKD_TOKEN: TOKENS });
  });
  afterAll(() => svc.close());

  const run = (body: unknown) => post(svc.url, "/v1/hooks/run", body, "new-token");
  const base = { phase: "postStart", container: { ip: "127.0.0.1" } };
  const issuePaths = (json: Record<string, unknown>) =>
    ((json.error as { issues: { path: string }[] }).issues ?? []).map((i) => i.path);

  it("accepts every token of a comma-separated HOOKD_TOKEN, and refuses others with 401", async () => {
    for (const token of ["old-token", "new-token"]) {
      const r = await post(svc.url, "/v1/hooks/run", { ...base, handler: { sleep: { seconds: 0 } } }, token);
      expect(r.status, token).toBe(200);
    }
    for (const token of [undefined, "wrong", "old-token,new-token", "new-toke"]) {
      const r = await post(svc.url, "/v1/hooks/run", { ...base, handler: { sleep: { seconds: 0 } } }, token);
      expect(r.status, String(token)).toBe(401);
      expect(r.json).toMatchObject({ error: { code: "unauthorized" } });
    }
    const lower = await fetch(`${svc.url}/v1/hooks/run`, {
      method: "POST",
      headers: { authorization: "bearer old-token" },
      body: JSON.stringify({ ...base, handler: { sleep: { seconds: 0 } } }),
    });
    expect(lower.status).toBe(200);
  });

  it("refuses tcpSocket with a clear message", async () => {
    const { status, json } = await run({ ...base, handler: { tcpSocket: { port: 80 } } });
    expect(status).toBe(400);
    expect(issuePaths(json)).toEqual(["handler.tcpSocket"]);
    expect(JSON.stringify(json)).toMatch(/tcpSocket is not supported/);
  });

  it("refuses two kinds in one handler, and an empty handler", async () => {
    const two = await run({ ...base, handler: { sleep: { seconds: 1 }, httpGet: { port: 80 } } });
    expect(two.status).toBe(400);
    expect(JSON.stringify(two.json)).toMatch(
      /exactly one of exec, httpGet or sleep; it has httpGet and sleep/,
    );
    const none = await run({ ...base, handler: {} });
    expect(none.status).toBe(400);
    expect(issuePaths(none.json)).toEqual(["handler"]);
  });

  it("names unknown fields and wrong types by their path", async () => {
    const unknown = await run({ ...base, handler: { httpGet: { port: 80, portt: 81 } } });
    expect(unknown.status).toBe(400);
    expect(issuePaths(unknown.json)).toEqual(["handler.httpGet.portt"]);
    expect((unknown.json.error as { message: string }).message).toMatch(
      /handler\.httpGet\.portt: unknown field/,
    );

    const types = await run({
      phase: "duringRun",
      container: { ip: 7 },
      handler: { exec: { command: "ls", env: { A: 1 } }, timeoutSeconds: 0 },
    });
    expect(types.status).toBe(400);
    expect(issuePaths(types.json).sort()).toEqual(
      [
        "container.ip",
        "handler.exec.command",
        "handler.exec.env.A",
        "handler.timeoutSeconds",
        "phase",
      ].sort(),
    );

    const port = await run({ ...base, handler: { httpGet: { port: 70000 } } });
    expect(issuePaths(port.json)).toEqual(["handler.httpGet.port"]);
    const header = await run({
      ...base,
      handler: { httpGet: { port: 80, httpHeaders: [{ name: "a b", value: "x" }] } },
    });
    expect(issuePaths(header.json)).toEqual(["handler.httpGet.httpHeaders[0].name"]);
  });

  it("refuses at validation what would fail or mislead at run time: control characters in a header value, a host holding a path", async () => {
    for (const value of ["a\u0001b", "x\u007f", "line\r\nX-Injected: 1"]) {
      const r = await run({
        ...base,
        handler: { httpGet: { port: 80, httpHeaders: [{ name: "X", value }] } },
      });
      expect(r.status, JSON.stringify(value)).toBe(400);
      expect(issuePaths(r.json)).toEqual(["handler.httpGet.httpHeaders[0].value"]);
    }
    const tab = await run({
      ...base,
      handler: { httpGet: { port: 1, httpHeaders: [{ name: "X", value: "a\tb" }] }, timeoutSeconds: 1 },
    });
    expect(tab.status).toBe(200);
    for (const host of ["10.0.0.7/", "a/b@c", "h?x", "h #"]) {
      const r = await run({ ...base, handler: { httpGet: { port: 80, host } } });
      expect(r.status, host).toBe(400);
      expect(issuePaths(r.json)).toEqual(["handler.httpGet.host"]);
    }
  });

  it("takes only the container's own named ports, not names every object has", async () => {
    const { status, json } = await run({
      ...base,
      container: { ip: "127.0.0.1", ports: { http: 8080 } },
      handler: { httpGet: { port: "constructor" } },
    });
    expect(status).toBe(200);
    expect(json).toMatchObject({ outcome: "failed" });
    expect(json.message).toBe('port "constructor" is not a named port of the container (it has http)');
  });

  it("answers invalid JSON, an empty body and a non-object with 400", async () => {
    for (const body of ['{"phase": ', "", "[1,2]", "null", "\u00ff\u00fe"]) {
      const r = await post(svc.url, "/v1/hooks/run", body, "new-token");
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
    }
  });

  it("answers a body over 1 MiB with 413", async () => {
    const r = await post(svc.url, "/v1/hooks/run", { pad: "x".repeat(1024 * 1024) }, "new-token");
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ error: { code: "body_too_large" } });
  });

  it("answers unknown routes with 404 in the error shape", async () => {
    const r = await fetch(`${svc.url}/v1/nope`, { headers: { authorization: "Bearer new-token" } });
    expect(r.status).toBe(404);
    expect(await r.json()).toMatchObject({ error: { code: "not_found" } });
  });

  it("serves /openapi.json without auth, describing every route", async () => {
    const r = await fetch(`${svc.url}/openapi.json`);
    expect(r.status).toBe(200);
    const doc = (await r.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/healthz", "/v1/hooks/run", "/v1/events/docker"]),
    );
    const run = doc.paths["/v1/hooks/run"] as { post: { requestBody: { content: Record<string, unknown> } } };
    expect(JSON.stringify(run.post.requestBody)).toContain("httpGet");
  });
});

describe("without HOOKD_TOKEN", () => {
  it("the Node service lets /v1 through on loopback", async () => {
    const svc = await startService({});
    try {
      const r = await post(svc.url, "/v1/hooks/run", {
        phase: "postStart",
        handler: { sleep: { seconds: 0 } },
        container: { name: "c" },
      });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ outcome: "succeeded", handler: "sleep", container: "c" });
    } finally {
      await svc.close();
    }
  });
});
