import { describe, expect, it } from "vitest";
import { runHook } from "../../src/engine/run-hook.ts";
import type { EngineDeps } from "../../src/engine/types.ts";
import type { HttpRequest, HttpResponse } from "../../src/platform/ports.ts";

/**
 * The engine with an HTTP client that answers as the test says (`answer` gets each request and
 * its number), ignoring the abort as a slow network would: one result, logged once, and a promise
 * that always settles.
 */
function scripted(
  answer: (req: HttpRequest, n: number) => Promise<HttpResponse>,
  log: (record: Record<string, unknown>) => void = () => {},
) {
  const records: Array<Record<string, unknown>> = [];
  const requests: HttpRequest[] = [];
  const deps: EngineDeps = {
    http: {
      request(req) {
        requests.push(req);
        return answer(req, requests.length - 1);
      },
    },
    log: {
      write(record) {
        records.push(record);
        log(record);
      },
    },
    config: { agentToken: undefined, agentUrl: undefined, defaultTimeoutSeconds: 30, denyCidrs: [] },
  };
  return { deps, records, requests };
}

const ok = (body: string): HttpResponse => ({ status: 200, header: () => undefined, body, truncated: false });

/** A client whose every answer is a 200 "late" after `ms`. */
function engine(ms: number, log?: (record: Record<string, unknown>) => void) {
  return scripted(() => new Promise((resolve) => setTimeout(() => resolve(ok("late")), ms)), log);
}

const handler = { httpGet: { port: 8080, path: "/ready" } };
const target = { name: "web", ip: "127.0.0.1" };
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("runHook: the handler against its deadline", () => {
  it("reports the deadline once, and a late answer neither changes the result nor logs again", async () => {
    const { deps, records, requests } = engine(150);
    const result = await runHook("postStart", handler, target, deps, { notAfter: Date.now() + 50 });
    expect(result).toMatchObject({ outcome: "timedOut", reason: "FailedPostStartHook", container: "web" });
    expect(requests[0]?.abort.aborted).toBe(true);
    await wait(200); // the answer has come by now
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ msg: "hook", level: "warn", outcome: "timedOut" });
  });

  it("reports an answer before the deadline once, with its start time, and the deadline does not fire after it", async () => {
    const { deps, records } = engine(10);
    const before = Date.now();
    const result = await runHook("preStop", handler, target, deps, { notAfter: Date.now() + 80 });
    expect(result).toMatchObject({ outcome: "succeeded", statusCode: 200, output: "late" });
    expect(Date.parse(result.startedAt)).toBeGreaterThanOrEqual(before - 1);
    await wait(150); // past the deadline
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ level: "info", outcome: "succeeded" });
  });

  it("rejects, rather than hanging, when the result cannot be logged", async () => {
    const { deps } = engine(5, () => {
      throw new Error("log sink gone");
    });
    await expect(runHook("postStart", handler, target, deps)).rejects.toThrow("log sink gone");
  });

  it("reports a deadline already past when the hook comes as timed out after 0s, at once", async () => {
    const { deps } = engine(1000);
    const started = Date.now();
    const result = await runHook("preStop", handler, target, deps, { notAfter: Date.now() - 1500 });
    expect(result).toMatchObject({ outcome: "timedOut", reason: "FailedPreStopHook" });
    expect(result.message).toMatch(/timed out after 0s$/);
    expect(Date.now() - started).toBeLessThan(500);
  });

  it("rejects, rather than throwing, when the engine itself is broken", async () => {
    const { deps } = engine(5);
    const broken = {
      ...deps,
      now: () => {
        throw new Error("no clock");
      },
    };
    let p: Promise<unknown> | undefined;
    expect(() => {
      p = runHook("postStart", handler, target, broken);
    }).not.toThrow();
    await expect(p).rejects.toThrow("no clock");
  });

  it("rejects a handler with no action instead of throwing", () => {
    const { deps } = engine(5);
    const p = runHook("postStart", {}, target, deps);
    expect(p).toBeInstanceOf(Promise);
    return expect(p).rejects.toThrow(/no exec, httpGet or sleep/);
  });
});

describe("httpGet through runHook: the HTTPS answered in plain HTTP", () => {
  it("retries on the same host and port, 443 included, over HTTP and without Authorization", async () => {
    const { deps, requests } = scripted((_req, n) =>
      n === 0
        ? Promise.reject(new Error("SSL routines:ssl3_get_record:wrong version number"))
        : Promise.resolve(ok("plain")),
    );
    const result = await runHook(
      "postStart",
      {
        httpGet: {
          port: 443,
          scheme: "HTTPS",
          path: "/ready?x=1",
          httpHeaders: [{ name: "Authorization", value: "Bearer t" }],
        },
      },
      target,
      deps,
    );
    expect(result).toMatchObject({ outcome: "succeeded", output: "plain" });
    expect(requests.map((r) => String(r.url))).toEqual([
      "https://127.0.0.1/ready?x=1",
      "http://127.0.0.1:443/ready?x=1",
    ]);
    expect(requests[1]?.headers.map(([name]) => name.toLowerCase())).not.toContain("authorization");
    // The first request's URL is left as it was given: the client may still hold it.
    expect(String(requests[0]?.url)).toBe("https://127.0.0.1/ready?x=1");
  });
});
