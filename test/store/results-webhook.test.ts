import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type HookdProcess, startHookd } from "../support/cli.ts";
import { scrapeSample } from "../support/metrics.ts";
import { post } from "../support/servers.ts";
import { tempDir } from "../support/temp-dir.ts";
import { until } from "../support/wait.ts";

const TOKEN = "webhook-t0k";
const KEY = randomBytes(32);
const SECRET = `whsec_${KEY.toString("base64")}`;

interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A receiver on `port` (0: any) that checks nothing itself and answers 204. */
async function receiver(port = 0): Promise<{ port: number; got: Delivery[]; close(): Promise<void> }> {
  const got: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => {
      body += c.toString("utf8");
    });
    req.on("end", () => {
      got.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    got,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The check a receiver makes, by hand: HMAC-SHA256 of "id.timestamp.body" keyed by the decoded secret. */
function signedByUs(d: Delivery): boolean {
  const signed = `${d.headers["webhook-id"]}.${d.headers["webhook-timestamp"]}.${d.body}`;
  const expected = `v1,${createHmac("sha256", KEY).update(signed).digest("base64")}`;
  return String(d.headers["webhook-signature"]).split(" ").includes(expected);
}

async function serve(env: Record<string, string>): Promise<{ process: HookdProcess; url: string }> {
  const process = startHookd(["serve", "--port", "0"], env);
  const [, url] = await process.waitForStderr(/listening on (http:\/\/\S+)/);
  return { process, url: url ?? "" };
}

const sleepHook = (container: string) => ({
  phase: "postStart",
  handler: { sleep: { seconds: 0 } },
  container: { name: container },
});

describe("results delivery from hookd serve (HOOKD_RESULTS_URL)", () => {
  const dir = tempDir("hookd-webhook");
  const stops: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const s of stops) await s();
  });

  it("POSTs every run, signed, soon after it is recorded", async () => {
    const rx = await receiver();
    stops.push(rx.close);
    const svc = await serve({
      HOOKD_TOKEN: TOKEN,
      HOOKD_STORE: `sqlite:${join(dir, "a.db")}`,
      HOOKD_RESULTS_URL: `http://127.0.0.1:${rx.port}/hooks`,
      HOOKD_RESULTS_SECRET: SECRET,
    });
    stops.push(() => svc.process.stop());
    const answer = await post(svc.url, "/v1/hooks/run", sleepHook("web"), TOKEN);
    expect(answer.status).toBe(200);
    await until("the delivery", () => rx.got.length === 1, 10_000);
    const d = rx.got[0] as Delivery;
    expect(signedByUs(d)).toBe(true);
    const body = JSON.parse(d.body) as {
      type: string;
      data: { id: string; container: string; source: unknown };
    };
    expect(body.type).toBe("hook.result");
    expect(body.data).toMatchObject({ container: "web", outcome: "succeeded", source: { runtime: "api" } });
    expect(d.headers["webhook-id"]).toBe(body.data.id);
    const run = await fetch(`${svc.url}/v1/runs/${body.data.id}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(run.status).toBe(200);
  });

  it("loses no delivery when the receiver is down and the service is killed with SIGKILL: the restarted service delivers it", async () => {
    // A port nothing listens on yet: the first attempt is refused and the run waits in the outbox.
    const probe = await receiver();
    const port = probe.port;
    await probe.close();
    const env = {
      HOOKD_TOKEN: TOKEN,
      HOOKD_STORE: `sqlite:${join(dir, "b.db")}`,
      HOOKD_RESULTS_URL: `http://127.0.0.1:${port}/hooks`,
      HOOKD_RESULTS_SECRET: SECRET,
    };
    const first = await serve(env);
    const answer = await post(first.url, "/v1/hooks/run", sleepHook("db"), TOKEN);
    expect(answer.status).toBe(200);
    await first.process.waitFor("a failed attempt", (l) => l.msg === "results delivery failed, will retry");
    first.process.child.kill("SIGKILL");
    await first.process.exited;

    const rx = await receiver(port);
    stops.push(rx.close);
    const second = await serve(env);
    stops.push(() => second.process.stop());
    // The first retry is due 5 s after the failed attempt.
    await until("the delivery after the restart", () => rx.got.length >= 1, 20_000);
    const d = rx.got[0] as Delivery;
    expect(signedByUs(d)).toBe(true);
    expect(JSON.parse(d.body)).toMatchObject({ data: { container: "db" } });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(rx.got).toHaveLength(1); // acknowledged once: never sent again
  });

  it("a receiver that accepts and never answers: hooks are not delayed, the attempt gives up after 15 s, the entry is retried and delivered, and SIGTERM still exits in bound", {
    timeout: 60_000,
  }, async () => {
    // Contract §7: 15 s per attempt, with no setting to shorten it; the first retry is due 5 s later.
    // The first delivery attempt hangs, later ones are answered (204) until `hangAll`.
    let hangAll = false;
    const got: Array<Delivery & { at: number }> = [];
    const hung: ServerResponse[] = [];
    const rx = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString("utf8");
      });
      req.on("end", () => {
        got.push({ headers: req.headers, body, at: Date.now() });
        if (got.length === 1 || hangAll) hung.push(res);
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => rx.listen(0, "127.0.0.1", r));
    stops.push(async () => {
      rx.closeAllConnections();
      await new Promise<void>((r) => rx.close(() => r()));
    });
    const svc = await serve({
      HOOKD_TOKEN: TOKEN,
      HOOKD_STORE: `sqlite:${join(dir, "c.db")}`,
      HOOKD_RESULTS_URL: `http://127.0.0.1:${(rx.address() as AddressInfo).port}/hooks`,
      HOOKD_RESULTS_SECRET: SECRET,
      HOOKD_SHUTDOWN_SECONDS: "2",
    });
    stops.push(() => svc.process.stop());

    const ran = await post(svc.url, "/v1/hooks/run", sleepHook("hung-rx"), TOKEN);
    expect(ran.status).toBe(200);
    await until("the first attempt to reach the receiver", () => got.length === 1, 10_000);
    // While that attempt hangs, a hook's answer does not wait for it.
    const asked = Date.now();
    const again = await post(svc.url, "/v1/hooks/run", sleepHook("hung-rx-2"), TOKEN);
    expect(again.status).toBe(200);
    expect(Date.now() - asked).toBeLessThan(2_000);

    const failed = await svc.process.waitFor(
      "the hung attempt to give up",
      (l) => l.msg === "results delivery failed, will retry" && l.run === got[0]?.headers["webhook-id"],
      30_000,
    );
    expect(failed).toMatchObject({ why: "no answer within 15s", attempts: 1 });
    const first = got[0] as Delivery & { at: number };
    expect(Date.now() - first.at).toBeGreaterThanOrEqual(14_000);

    // The entry stayed in the outbox: the retry (due 5 s later) is answered, and delivered.
    const id = first.headers["webhook-id"];
    await until(
      "the retry of the same run, delivered",
      () => got.some((d, i) => i > 0 && d.headers["webhook-id"] === id),
      20_000,
    );
    // Acknowledged: both runs delivered, one attempt retried (the hung one).
    const deliveries = (outcome: string) =>
      scrapeSample(svc.url, TOKEN, `hookd_results_deliveries_total{outcome="${outcome}"}`);
    await until("both runs counted delivered", async () => (await deliveries("delivered")) === 2);
    expect(await deliveries("retry")).toBe(1);
    expect(got.filter((d) => d.headers["webhook-id"] === id)).toHaveLength(2);

    // A delivery hanging at SIGTERM does not hold the service past its bound.
    hangAll = true;
    const hanging = hung.length;
    expect((await post(svc.url, "/v1/hooks/run", sleepHook("hung-rx-3"), TOKEN)).status).toBe(200);
    await until("a new attempt to hang", () => hung.length > hanging, 10_000);
    const stopping = Date.now();
    svc.process.child.kill("SIGTERM");
    expect(await svc.process.exited).toBe(0);
    expect(Date.now() - stopping).toBeLessThan(10_000);
  });
});
