import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeServer } from "../../src/entry/node.ts";
import { VERSION } from "../../src/version.ts";
import { closedLoopbackPort } from "../support/raw-http.ts";
import { post, startService, startTarget, type TestTarget } from "../support/servers.ts";
import { selfSignedCert } from "../support/tls.ts";

const TOKEN = "test-token";

/** POST /v1/hooks/run to `svc` with the test token. */
const runOn = (svc: NodeServer, body: Record<string, unknown>) => post(svc.url, "/v1/hooks/run", body, TOKEN);

describe("httpGet handler (POST /v1/hooks/run)", () => {
  let svc: NodeServer;
  let target: TestTarget;
  beforeAll(async () => {
    svc = await startService({ HOOKD_TOKEN: TOKEN });
    target = await startTarget((req, res) => {
      const url = new URL(req.url ?? "/", "http://x");
      const status = Number(url.searchParams.get("status") ?? 200);
      if (url.pathname === "/hop") {
        const n = Number(url.searchParams.get("n"));
        if (n > 0) return res.writeHead(302, { location: `/hop?n=${n - 1}` }).end();
        return res.writeHead(200).end("landed");
      }
      if (url.pathname === "/elsewhere") {
        return res.writeHead(301, { location: `http://localhost:${url.searchParams.get("port")}/` }).end();
      }
      if (url.pathname === "/big") return res.writeHead(200).end("x".repeat(50_000));
      if (url.pathname === "/endless") {
        res.writeHead(200);
        const tick = setInterval(() => res.write("y".repeat(4096)), 5);
        res.on("close", () => clearInterval(tick));
        return;
      }
      res.writeHead(status, { "content-type": "text/plain" }).end(`status ${status}`);
    });
  });
  afterAll(async () => {
    await svc.close();
    await target.close();
  });

  const run = (handler: unknown, extra: Record<string, unknown> = {}) =>
    runOn(svc, { phase: "postStart", handler, container: { ip: "127.0.0.1", name: "web" }, ...extra });

  it("defaults the path to / and the host to the container IP, and sends the default headers", async () => {
    const { status, json } = await run({ httpGet: { port: target.port } });
    expect(status).toBe(200);
    expect(json).toMatchObject({
      outcome: "succeeded",
      statusCode: 200,
      phase: "postStart",
      handler: "httpGet",
    });
    const req = target.requests.at(-1);
    expect(req?.url).toBe("/");
    expect(req?.headers["user-agent"]).toBe(`hookd/${VERSION}`);
    expect(req?.headers.accept).toBe("*/*");
    expect(json.message).toBe(`httpGet http://127.0.0.1:${target.port}/: status 200`);
  });

  it("keeps the query string and sends repeated headers; spec headers replace the defaults", async () => {
    const { json } = await run({
      httpGet: {
        port: target.port,
        path: "/warm?x=1&y=two",
        httpHeaders: [
          { name: "X-Repeat", value: "a" },
          { name: "X-Repeat", value: "b" },
          { name: "User-Agent", value: "custom/1" },
        ],
      },
    });
    expect(json.outcome).toBe("succeeded");
    const req = target.requests.at(-1);
    expect(req?.url).toBe("/warm?x=1&y=two");
    expect(req?.headers["x-repeat"]).toBe("a, b");
    expect(req?.headers["user-agent"]).toBe("custom/1");
  });

  it("resolves a named port from the container's ports, and names a missing one", async () => {
    const ok = await runOn(svc, {
      phase: "postStart",
      handler: { httpGet: { port: "http" } },
      container: { ip: "127.0.0.1", ports: { http: target.port } },
    });
    expect(ok.json.outcome).toBe("succeeded");
    const missing = await run({ httpGet: { port: "metrics" } });
    expect(missing.status).toBe(200);
    expect(missing.json).toMatchObject({ outcome: "failed", reason: "FailedPostStartHook" });
    expect(missing.json.message).toContain('port "metrics" is not a named port');
  });

  it("uses httpGet.host, and fails clearly without a host or a container IP", async () => {
    const withHost = await runOn(svc, {
      phase: "preStop",
      handler: { httpGet: { port: target.port, host: "127.0.0.1" } },
      container: { name: "w" },
    });
    expect(withHost.json.outcome).toBe("succeeded");
    const noHost = await runOn(svc, {
      phase: "preStop",
      handler: { httpGet: { port: target.port } },
      container: { name: "w" },
    });
    expect(noHost.json).toMatchObject({ outcome: "failed", reason: "FailedPreStopHook" });
    expect(noHost.json.message).toMatch(/no IP and httpGet.host is not set/);
  });

  it("succeeds on 200–399 and fails otherwise, with the status in the result", async () => {
    for (const [code, outcome] of [
      [200, "succeeded"],
      [299, "succeeded"],
      [304, "succeeded"],
      [399, "succeeded"],
      [418, "failed"],
      [400, "failed"],
      [503, "failed"],
    ] as const) {
      const { json } = await run({ httpGet: { port: target.port, path: `/?status=${code}` } });
      expect(json.statusCode, `status ${code}`).toBe(code);
      expect(json.outcome, `status ${code}`).toBe(outcome);
    }
    const { json } = await run({ httpGet: { port: target.port, path: "/?status=503" } });
    expect(json.message).toMatch(/status 503$/);
    expect(json.output).toBe("status 503");
  });

  it("follows same-host redirects up to 10 and fails after that", async () => {
    const ten = await run({ httpGet: { port: target.port, path: "/hop?n=10" } });
    expect(ten.json).toMatchObject({ outcome: "succeeded", statusCode: 200, output: "landed" });
    const eleven = await run({ httpGet: { port: target.port, path: "/hop?n=11" } });
    expect(eleven.json.outcome).toBe("failed");
    expect(eleven.json.message).toMatch(/stopped after 10 redirects/);
  });

  it("does not follow a cross-host redirect: its 3xx is the result, with a warning", async () => {
    const before = target.requests.length;
    const { json } = await run({ httpGet: { port: target.port, path: `/elsewhere?port=${target.port}` } });
    expect(json).toMatchObject({ outcome: "succeeded", statusCode: 301 });
    expect((json.warnings as string[])[0]).toMatch(/another host/);
    expect(target.requests.length).toBe(before + 1);
  });

  it("reads at most 10 KiB of the body, and an endless body does not hang the hook", async () => {
    const big = await run({ httpGet: { port: target.port, path: "/big" } });
    expect(big.json.outcome).toBe("succeeded");
    expect((big.json.output as string).length).toBe(10 * 1024);
    const started = Date.now();
    const endless = await run({ httpGet: { port: target.port, path: "/endless" }, timeoutSeconds: 5 });
    expect(endless.json.outcome).toBe("succeeded");
    expect((endless.json.output as string).length).toBe(10 * 1024);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it("reports a refused connection as failed with the cause", async () => {
    const { status, json } = await run({ httpGet: { port: await closedLoopbackPort() } });
    expect(status).toBe(200);
    expect(json.outcome).toBe("failed");
    expect(json.message).toMatch(/ECONNREFUSED/);
  });
});

describe("httpGet over HTTPS", () => {
  let svc: NodeServer;
  let tlsPort: number;
  let tls: ReturnType<typeof createHttpsServer>;
  let plain: TestTarget;
  beforeAll(async () => {
    svc = await startService({ HOOKD_TOKEN: TOKEN });
    tls = createHttpsServer(selfSignedCert(), (_req, res) => res.writeHead(200).end("tls ok"));
    await new Promise<void>((r) => tls.listen(0, "127.0.0.1", r));
    tlsPort = (tls.address() as AddressInfo).port;
    plain = await startTarget((_req, res) => res.writeHead(200).end("plain"));
  });
  afterAll(async () => {
    await svc.close();
    tls.closeAllConnections();
    await new Promise((r) => tls.close(r));
    await plain.close();
  });

  it("does not verify the certificate (as the kubelet)", async () => {
    const { json } = await runOn(svc, {
      phase: "postStart",
      handler: { httpGet: { port: tlsPort, scheme: "HTTPS" } },
      container: { ip: "127.0.0.1" },
    });
    expect(json).toMatchObject({ outcome: "succeeded", statusCode: 200, output: "tls ok" });
    expect(json.message).toContain(`https://127.0.0.1:${tlsPort}/`);
  });

  it("retries an HTTPS request answered in plain HTTP over HTTP, without Authorization, and says so", async () => {
    const { json } = await runOn(svc, {
      phase: "postStart",
      handler: {
        httpGet: {
          port: plain.port,
          scheme: "HTTPS",
          httpHeaders: [
            { name: "Authorization", value: "Bearer secret" },
            { name: "X-Keep", value: "1" },
          ],
        },
      },
      container: { ip: "127.0.0.1" },
    });
    expect(json).toMatchObject({ outcome: "succeeded", statusCode: 200, output: "plain" });
    expect((json.warnings as string[]).join(" ")).toMatch(/plain HTTP.*without the Authorization header/);
    const req = plain.requests.at(-1);
    expect(req?.headers.authorization).toBeUndefined();
    expect(req?.headers["x-keep"]).toBe("1");
  });
});

describe("HOOKD_DENY_CIDRS", () => {
  let svc: NodeServer;
  let target: TestTarget;
  beforeAll(async () => {
    svc = await startService({ HOOKD_TOKEN: TOKEN, HOOKD_DENY_CIDRS: "127.0.0.2/32,127.0.0.0/8,::1/128" });
    target = await startTarget((_req, res) => res.writeHead(200).end());
  });
  afterAll(async () => {
    await svc.close();
    await target.close();
  });

  it("refuses a denied literal address without sending anything", async () => {
    const before = target.requests.length;
    const { json } = await runOn(svc, {
      phase: "postStart",
      handler: { httpGet: { port: target.port } },
      container: { ip: "127.0.0.1" },
    });
    expect(json.outcome).toBe("failed");
    expect(json.message).toMatch(/127\.0\.0\.1 is in the denied range 127\.0\.0\.0\/8 \(HOOKD_DENY_CIDRS\)/);
    expect(target.requests.length).toBe(before);
  });

  it("checks the address a name resolves to", async () => {
    const { json } = await runOn(svc, {
      phase: "postStart",
      handler: { httpGet: { port: target.port, host: "localhost" } },
      container: { ip: "127.0.0.1" },
    });
    expect(json.outcome).toBe("failed");
    // Whichever address localhost resolves to here, it is denied before anything is sent.
    expect(json.message).toMatch(/localhost \((127\.0\.0\.1|::1)\) is in the denied range/);
  });
});

describe("httpGet messages", () => {
  it("shorten a very long URL instead of repeating it whole", async () => {
    const svc = await startService({});
    const target = await startTarget((_req, res) => res.writeHead(200).end());
    try {
      const path = `/${"p".repeat(10_000)}`;
      const { json } = await post(svc.url, "/v1/hooks/run", {
        phase: "postStart",
        handler: { httpGet: { port: target.port, path } },
        container: { ip: "127.0.0.1" },
      });
      expect(json.outcome).toBe("succeeded");
      expect(target.requests.at(-1)?.url).toBe(path);
      expect((json.message as string).length).toBeLessThan(600);
      expect(json.message).toMatch(/p…: status 200$/);
    } finally {
      await svc.close();
      await target.close();
    }
  });
});
