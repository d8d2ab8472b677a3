import { describe, expect, it } from "vitest";
import { runHook } from "../../src/engine/run-hook.ts";
import type { EngineDeps } from "../../src/engine/types.ts";
import type { HttpRequest, HttpResponse } from "../../src/platform/ports.ts";

/**
 * The engine's own race between a handler and its deadline, with an HTTP client that answers
 * when told to (and ignores the abort, as a slow network would): one result, logged once, and a
 * promise that always settles.
 */
function engine(answerAfterMs: number, log: (record: Record<string, unknown>) => void = () => {}) {
  const records: Array<Record<string, unknown>> = [];
  const requests: HttpRequest[] = [];
  const deps: EngineDeps = {
    http: {
      request(req) {
        requests.push(req);
        return new Promise<HttpResponse>((resolve) =>
          setTimeout(
            () => resolve({ status: 200, header: () => undefined, body: "late", truncated: false }),
            answerAfterMs,
          ),
        );
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

  it("rejects a handler with no action instead of throwing", () => {
    const { deps } = engine(5);
    const p = runHook("postStart", {}, target, deps);
    expect(p).toBeInstanceOf(Promise);
    return expect(p).rejects.toThrow(/no exec, httpGet or sleep/);
  });
});
