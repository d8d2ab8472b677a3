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
    config: {
      agentToken: undefined,
      agentUrl: undefined,
      defaultTimeoutSeconds: 30,
      denyCidrs: [],
      allowHosts: { names: [], cidrs: [] },
      agentHosts: { names: [], cidrs: [] },
    },
  };
  return { deps, records, requests };
}

const ok = (body: string): HttpResponse => ({ status: 200, header: () => undefined, body, truncated: false });
const answer = (status: number, headers: Record<string, string> = {}, body = ""): HttpResponse => ({
  status,
  header: (name) => headers[name.toLowerCase()],
  body,
  truncated: false,
});

/** A client whose every answer is a 200 "late" after `ms`. */
function engine(ms: number, log?: (record: Record<string, unknown>) => void) {
  return scripted(() => new Promise((resolve) => setTimeout(() => resolve(ok("late")), ms)), log);
}

const handler = { httpGet: { port: 8080, path: "/ready" } };
const target = { specFrom: "operator", name: "web", ip: "127.0.0.1" } as const;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("runHook: the handler against its deadline", () => {
  it("reports the deadline, and a late answer does not change the result", async () => {
    const { deps, requests } = engine(150);
    const result = await runHook("postStart", handler, target, deps, { notAfter: Date.now() + 50 });
    const seen = structuredClone(result);
    expect(result).toMatchObject({ outcome: "timedOut", reason: "FailedPostStartHook", container: "web" });
    expect(requests[0]?.signal.aborted).toBe(true);
    await wait(200); // the answer has come by now
    expect(result).toEqual(seen);
  });

  it("reports an answer before the deadline, with its start time, and the deadline does not fire after it", async () => {
    const { deps, requests } = engine(10);
    const before = Date.now();
    const result = await runHook("preStop", handler, target, deps, { notAfter: Date.now() + 80 });
    const seen = structuredClone(result);
    expect(result).toMatchObject({ outcome: "succeeded", statusCode: 200, output: "late" });
    expect(Date.parse(result.startedAt)).toBeGreaterThanOrEqual(before - 1);
    await wait(150); // past the deadline
    expect(result).toEqual(seen);
    expect(requests[0]?.signal.aborted).toBe(false);
  });

  it("reports a deadline already past when the hook comes as timed out after 0s, at once, and starts nothing", async () => {
    const { deps, requests } = engine(1000);
    const started = Date.now();
    const result = await runHook("preStop", handler, target, deps, { notAfter: Date.now() - 1500 });
    expect(result).toMatchObject({ outcome: "timedOut", reason: "FailedPreStopHook" });
    expect(result.message).toMatch(/timed out after 0s$/);
    expect(Date.now() - started).toBeLessThan(500);
    expect(requests).toHaveLength(0);
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

describe("httpGet through runHook: what it sends where, and what it reports", () => {
  const get = (httpGet: Record<string, unknown>, deps: EngineDeps, ip = "127.0.0.1") =>
    runHook(
      "postStart",
      { httpGet: { port: 8080, ...httpGet } } as never,
      { specFrom: "operator", name: "web", ip },
      deps,
    );

  it("refuses a host or container IP that would change the URL's port or path, and sends nothing", async () => {
    const { deps, requests } = scripted(() => Promise.resolve(ok("")));
    for (const host of ["127.0.0.1/", "127.0.0.1?x", "127.0.0.1#", "a@127.0.0.1", "127.0.0.1\\x", "a b"]) {
      const r = await get({ host }, deps);
      expect(r.outcome).toBe("failed");
      expect(r.message).toBe(
        `httpGet: httpGet.host ${JSON.stringify(host)} is not a host name or IP address`,
      );
    }
    const byIp = await get({}, deps, "10.0.0.7/");
    expect(byIp.message).toMatch(/^httpGet: the container's IP "10\.0\.0\.7\/" is not a host name/);
    expect(requests).toHaveLength(0);
  });

  it("follows 301, 302, 303, 307 and 308 only, and takes a 3xx without a usable Location as the result", async () => {
    for (const [status, location, followed] of [
      [301, "/next", true],
      [308, "/next", true],
      [300, "/next", false],
      [302, "", false],
      [302, "   ", false],
    ] as const) {
      const { deps, requests } = scripted((_req, n) =>
        Promise.resolve(n === 0 ? answer(status, { location: location.trim() }) : ok("there")),
      );
      const r = await get({ path: "/start" }, deps);
      expect(requests.map((q) => new URL(String(q.url)).pathname)).toEqual(
        followed ? ["/start", "/next"] : ["/start"],
      );
      expect(r).toMatchObject(
        followed ? { statusCode: 200, output: "there" } : { statusCode: status, outcome: "succeeded" },
      );
    }
  });

  it("shows no user or password a redirect carries, in the message or the warnings", async () => {
    const { deps, requests } = scripted((_req, n) =>
      Promise.resolve(
        n === 0
          ? answer(302, { location: "http://user:s3cret@127.0.0.1:8080/in" })
          : answer(302, { location: "http://admin:t0ps3cret@example.com/out" }),
      ),
    );
    const r = await get({}, deps);
    expect(requests).toHaveLength(2);
    expect(r.warnings.join(" ")).toContain("another host (http://example.com/out)");
    expect(JSON.stringify(r)).not.toMatch(/s3cret|user:|admin:/);
  });

  it("does not count the HTTPS-to-HTTP retry as one of the ten redirects", async () => {
    const { deps, requests } = scripted((_req, n) =>
      n === 0
        ? Promise.reject(new Error("wrong version number"))
        : Promise.resolve(n <= 10 ? answer(302, { location: `/r${n}` }) : ok("end")),
    );
    const r = await get({ scheme: "HTTPS" }, deps);
    expect(r).toMatchObject({ outcome: "succeeded", output: "end" });
    expect(requests).toHaveLength(12);
  });

  it("keeps the output within 10 KiB of UTF-8, whole characters only, whatever the client decoded", async () => {
    const { deps } = scripted(() => Promise.resolve(ok(`a${"€".repeat(10_000)}`)));
    const r = await get({}, deps);
    const bytes = new TextEncoder().encode(r.output ?? "").length;
    expect(bytes).toBeLessThanOrEqual(10 * 1024);
    expect(bytes).toBeGreaterThan(10 * 1024 - 3);
    expect(r.output).toMatch(/^a€+$/);
  });
});

describe("exec through runHook: the agent's URL and output", () => {
  const execDeps = (answerBody: string) => {
    const s = scripted(() => Promise.resolve({ ...ok(answerBody) }));
    s.deps.config = { ...s.deps.config, agentUrl: "http://{ip}:9000" };
    return s;
  };

  it("brackets an IPv6 container IP once, whether or not it came bracketed", async () => {
    for (const ip of ["fd00::1", "[fd00::1]"]) {
      const { deps, requests } = execDeps(JSON.stringify({ exitCode: 0, output: "" }));
      const r = await runHook(
        "postStart",
        { exec: { command: ["true"] } },
        { specFrom: "operator", name: "web", ip },
        deps,
      );
      expect(r.outcome).toBe("succeeded");
      expect(String(requests[0]?.url)).toBe("http://[fd00::1]:9000/v1/exec");
    }
  });

  it("keeps the agent's output within 10 KiB of UTF-8, whole characters only", async () => {
    const { deps } = execDeps(JSON.stringify({ exitCode: 0, output: "😀".repeat(6000) }));
    const r = await runHook(
      "postStart",
      { exec: { command: ["x"] } },
      { specFrom: "operator", name: "web", ip: "127.0.0.1" },
      deps,
    );
    expect(new TextEncoder().encode(r.output ?? "").length).toBe(10 * 1024);
    expect(r.output).toMatch(/^(😀)+$/u);
  });
});
