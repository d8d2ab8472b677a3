import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeServer } from "../../src/entry/node.ts";
import { post, startService, startTarget, type TestTarget } from "../support/servers.ts";
import { until } from "../support/wait.ts";

describe("deadlines", () => {
  let svc: NodeServer;
  let hang: TestTarget;
  const closed: Socket[] = [];
  beforeAll(async () => {
    svc = await startService({ HOOKD_DEFAULT_TIMEOUT_SECONDS: "1" });
    hang = await startTarget((req) => {
      // Never answers; records when hookd gives up on the connection.
      req.socket.once("close", () => closed.push(req.socket));
    });
  });
  afterAll(async () => {
    await svc.close();
    await hang.close();
  });

  const run = (handler: unknown, extra: Record<string, unknown> = {}) =>
    post(svc.url, "/v1/hooks/run", { phase: "postStart", handler, container: { ip: "127.0.0.1" }, ...extra });

  it("times out an httpGet that never answers at timeoutSeconds, and drops its connection", async () => {
    const before = closed.length;
    const started = Date.now();
    const { json } = await run({ httpGet: { port: hang.port }, timeoutSeconds: 1 });
    const took = Date.now() - started;
    expect(json).toMatchObject({ outcome: "timedOut", reason: "FailedPostStartHook" });
    expect(json.message).toMatch(/timed out after 1s/);
    expect(json.durationMs as number).toBeGreaterThanOrEqual(990);
    expect(took).toBeLessThan(1600);
    await until("the connection to close", () => closed.length === before + 1, 500);
  });

  it("uses HOOKD_DEFAULT_TIMEOUT_SECONDS when the handler has no timeoutSeconds", async () => {
    const { json } = await run({ sleep: { seconds: 5 } });
    expect(json).toMatchObject({ outcome: "timedOut", handler: "sleep" });
    expect(json.durationMs as number).toBeLessThan(1500);
  });

  it("lets the API's timeoutSeconds override the handler's", async () => {
    const { json } = await run({ sleep: { seconds: 3 }, timeoutSeconds: 10 }, { timeoutSeconds: 1 });
    expect(json.outcome).toBe("timedOut");
  });

  it("times out a sleep longer than a Node timer can hold (over 2^31 - 1 ms)", async () => {
    const { json } = await run({ sleep: { seconds: 3_000_000 }, timeoutSeconds: 1 });
    expect(json).toMatchObject({ outcome: "timedOut", handler: "sleep" });
    expect(json.durationMs as number).toBeGreaterThanOrEqual(990);
  });

  it("sleeps for the given seconds, including zero", async () => {
    const zero = await run({ sleep: { seconds: 0 } });
    expect(zero.json).toMatchObject({ outcome: "succeeded", message: "sleep 0s" });
    const one = await run({ sleep: { seconds: 1 }, timeoutSeconds: 3 });
    expect(one.json.outcome).toBe("succeeded");
    expect(one.json.durationMs as number).toBeGreaterThanOrEqual(990);
  });
});
