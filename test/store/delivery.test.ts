import { createHmac, randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { DeliveryOutcome } from "../../src/platform/metrics.ts";
import type { Run } from "../../src/schema/run.ts";
import { createResultsDelivery, RETRY_DELAYS_MS } from "../../src/store/delivery.ts";
import { createMemoryStore } from "../../src/store/memory.ts";
import { newRunId } from "../../src/store/port.ts";
import { startTarget, type TestTarget } from "../support/servers.ts";

const KEY = randomBytes(24);
const SECRET = `whsec_${KEY.toString("base64")}`;

interface Received {
  headers: IncomingMessage["headers"];
  body: string;
}

/** A receiver that answers each delivery with the next status of `statuses` (the last one repeats). */
async function receiver(statuses: number[]): Promise<TestTarget & { received: Received[] }> {
  const received: Received[] = [];
  const target = await startTarget((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)] ?? 500;
      if (status > 0) res.writeHead(status).end();
      // status 0: never answer
    });
  });
  return Object.assign(target, { received });
}

/** The receiver's check, by hand: HMAC-SHA256 over "id.timestamp.body" with the decoded key. */
function verify(r: Received): boolean {
  const id = String(r.headers["webhook-id"]);
  const ts = String(r.headers["webhook-timestamp"]);
  const expected = createHmac("sha256", KEY).update(`${id}.${ts}.${r.body}`).digest("base64");
  return String(r.headers["webhook-signature"])
    .split(" ")
    .some((s) => s === `v1,${expected}`);
}

function run(at: number): Run {
  return {
    id: newRunId(at),
    time: new Date(at).toISOString(),
    source: { runtime: "api" },
    phase: "postStart",
    handler: "httpGet",
    container: "web",
    outcome: "succeeded",
    message: "httpGet http://127.0.0.1:1/: status 200",
    statusCode: 200,
    warnings: [],
    startedAt: new Date(at).toISOString(),
    durationMs: 3,
  };
}

const logs: Record<string, unknown>[] = [];
const log = { write: (r: Record<string, unknown>) => logs.push(r) };
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  logs.length = 0;
});

async function setup(statuses: number[], sendTimeoutMs?: number) {
  const rx = await receiver(statuses);
  closers.push(rx.close);
  let clock = Date.parse("2026-12-07T10:00:00.000Z");
  const now = () => clock;
  const store = createMemoryStore({ retentionMs: 7 * 24 * 3_600_000, now });
  const outcomes: DeliveryOutcome[] = [];
  const delivery = createResultsDelivery({
    store,
    url: `${rx.url}/hooks`,
    secret: SECRET,
    log,
    now,
    onOutcome: (o) => outcomes.push(o),
    ...(sendTimeoutMs !== undefined && { sendTimeoutMs }),
  });
  const record = async () => {
    const r = run(clock);
    await store.recordRun(r, delivery.entryFor(r));
    return r;
  };
  return { rx, store, delivery, record, outcomes, advance: (ms: number) => (clock += ms) };
}

describe("results delivery (Standard Webhooks)", () => {
  it("POSTs the run signed: the headers, the body, and a signature a receiver checks by hand", async () => {
    const { rx, delivery, record, store } = await setup([204]);
    const r = await record();
    await delivery.flush();
    expect(rx.received).toHaveLength(1);
    const got = rx.received[0] as Received;
    expect(got.headers["content-type"]).toBe("application/json");
    expect(got.headers["webhook-id"]).toBe(r.id);
    expect(got.headers["webhook-timestamp"]).toBe(String(Date.parse("2026-12-07T10:00:00.000Z") / 1000));
    expect(JSON.parse(got.body)).toEqual({ type: "hook.result", timestamp: r.time, data: r });
    expect(verify(got)).toBe(true);
    expect(verify({ ...got, body: got.body.replace("web", "wab") })).toBe(false);
    expect(await store.outbox.size()).toBe(0);
    await delivery.flush();
    expect(rx.received).toHaveLength(1); // acknowledged: never sent again
  });

  it("retries a 503 on the schedule (5 s, 30 s …) and stops once a 2xx acknowledges it", async () => {
    const { rx, delivery, record, advance, outcomes } = await setup([503, 500, 204]);
    await record();
    await delivery.flush();
    expect(rx.received).toHaveLength(1);
    advance((RETRY_DELAYS_MS[0] as number) - 1);
    await delivery.flush();
    expect(rx.received).toHaveLength(1); // not due yet
    advance(1);
    await delivery.flush();
    expect(rx.received).toHaveLength(2);
    advance(RETRY_DELAYS_MS[1] as number);
    await delivery.flush();
    expect(rx.received).toHaveLength(3);
    expect(outcomes).toEqual(["retry", "retry", "delivered"]);
    // The same id every time, signed anew for each attempt's timestamp.
    expect(new Set(rx.received.map((r) => r.headers["webhook-id"])).size).toBe(1);
    expect(rx.received.every(verify)).toBe(true);
    advance(3_600_000);
    await delivery.flush();
    expect(rx.received).toHaveLength(3);
  });

  it("stops on 410 Gone: that run and later ones are not sent again, and it is logged", async () => {
    const { rx, delivery, record, advance } = await setup([410, 204]);
    await record();
    await delivery.flush();
    await record();
    advance(60_000);
    await delivery.flush();
    expect(rx.received).toHaveLength(1);
    expect(logs.some((l) => /410/.test(String(l.msg)))).toBe(true);
  });

  it("counts a receiver that never answers as a failure after the timeout, and retries later", async () => {
    const { rx, delivery, record, store, outcomes } = await setup([0], 300);
    await record();
    const started = Date.now();
    await delivery.flush();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(rx.received).toHaveLength(1);
    expect(outcomes).toEqual(["retry"]);
    expect(await store.outbox.size()).toBe(1);
    expect(logs.some((l) => /no answer within 0.3s/.test(String(l.why)))).toBe(true);
  });

  it("gives up 24 h after the run, logged", async () => {
    const { rx, delivery, record, advance, store, outcomes } = await setup([503]);
    await record();
    for (let i = 0; i < 40 && (await store.outbox.size()) > 0; i++) {
      await delivery.flush();
      advance(3_600_000);
    }
    expect(await store.outbox.size()).toBe(0);
    expect(outcomes.at(-1)).toBe("expired");
    // 5 s, 30 s, 2 min, 10 min, 1 h, then hourly until the 24 h are up: about 28 attempts.
    expect(rx.received.length).toBeGreaterThan(20);
    expect(rx.received.length).toBeLessThan(30);
  });
});
