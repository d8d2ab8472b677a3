import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type HookdProcess, startHookd } from "../support/cli.ts";
import { post, runHttpGetHook, startTarget, type TestTarget } from "../support/servers.ts";
import { until } from "../support/wait.ts";

const SHUTDOWN_SECONDS = 2;
/** Generous: the shutdown's own bound, plus a loaded machine's slack. */
const EXIT_BOUND_MS = SHUTDOWN_SECONDS * 1000 + 8_000;

/** Sends SIGTERM and says how the process ended, and how long that took. */
async function terminate(p: HookdProcess): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  p.child.kill("SIGTERM");
  const code = await p.exited;
  return { code, ms: Date.now() - started };
}

async function listening(p: HookdProcess): Promise<string> {
  const [, url] = await p.waitForStderr(/listening on (http:\/\/\S+)/);
  if (!url) throw new Error("no URL");
  return url;
}

/** Hook targets: `/hang` never answers, `/slow` answers after a second. */
let target: TestTarget;
beforeAll(async () => {
  target = await startTarget((req, res) => {
    if (req.url === "/hang") return;
    setTimeout(() => res.writeHead(200).end("ok"), 1_000);
  });
});
afterAll(() => target.close());
const arrived = (path: string) => target.requests.filter((r) => r.url === path).length;

describe("hookd serve: bounded shutdown (HOOKD_SHUTDOWN_SECONDS)", () => {
  const TOKEN = "shutdown-t0k";
  const start = () =>
    startHookd(["serve", "--port", "0"], {
      HOOKD_TOKEN: TOKEN,
      HOOKD_SHUTDOWN_SECONDS: String(SHUTDOWN_SECONDS),
    });
  const hook = (url: string, path: string, name: string) =>
    runHttpGetHook(url, TOKEN, { phase: "preStop", path, port: target.port, name, timeoutSeconds: 60 });

  it("abandons a hook that never finishes: logs it, exits 1 within the bound", async () => {
    const p = start();
    const url = await listening(p);
    const before = arrived("/hang");
    const pending = hook(url, "/hang", "hung-app").catch((err: unknown) => err);
    await until("the hook to reach its target", () => arrived("/hang") > before);
    const { code, ms } = await terminate(p);
    expect(code).toBe(1);
    expect(ms).toBeLessThan(EXIT_BOUND_MS);
    expect(ms).toBeGreaterThanOrEqual(SHUTDOWN_SECONDS * 1000 - 100);
    expect(p.lines).toContainEqual(
      expect.objectContaining({
        level: "error",
        msg: expect.stringMatching(/^hook abandoned at shutdown/),
        phase: "preStop",
        handler: "httpGet",
        container: "hung-app",
      }),
    );
    expect(p.stderr.join("\n")).toMatch(
      /1 hook run\(s\) .* still running after HOOKD_SHUTDOWN_SECONDS=2: abandoned/,
    );
    // The caller is not left hanging either: its connection is closed.
    expect(await pending).toBeInstanceOf(Error);
  });

  it("lets a short hook in flight finish, takes no new work, and exits 0", async () => {
    const p = start();
    const url = await listening(p);
    const before = arrived("/slow");
    const pending = hook(url, "/slow", "short-app");
    await until("the hook to reach its target", () => arrived("/slow") > before);
    const exit = terminate(p);
    await p.waitForStderr(/SIGTERM: finishing in-flight hooks/);
    // No new work once the signal came: the port is closed.
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
    const answer = await pending;
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ outcome: "succeeded", container: "short-app" });
    const { code, ms } = await exit;
    expect(code).toBe(0);
    expect(ms).toBeLessThan(EXIT_BOUND_MS);
    expect(p.lines.some((l) => String(l.msg).includes("abandoned"))).toBe(false);
  });
});

describe("hookd agent: bounded shutdown (HOOKD_SHUTDOWN_SECONDS)", () => {
  const start = () =>
    startHookd(["agent", "--mode", "local", "--port", "0"], {
      HOOKD_AGENT_TOKEN: "",
      HOOKD_SHUTDOWN_SECONDS: String(SHUTDOWN_SECONDS),
    });
  const exec = (url: string, command: string[]) => post(url, "/v1/exec", { command, timeoutMs: 60_000 });

  it("abandons an exec that runs on: logs it, kills it, exits 1 within the bound", async () => {
    const p = start();
    const url = await listening(p);
    const pending = exec(url, ["sleep", "60"]).catch((err: unknown) => err);
    await until("the exec to run", async () => {
      const health = (await (await fetch(`${url}/healthz`)).json()) as { running: number };
      return health.running === 1;
    });
    const { code, ms } = await terminate(p);
    expect(code).toBe(1);
    expect(ms).toBeLessThan(EXIT_BOUND_MS);
    expect(p.lines).toContainEqual(
      expect.objectContaining({
        level: "error",
        msg: expect.stringMatching(/^exec abandoned at shutdown/),
        command: ["sleep", "60"],
      }),
    );
    expect(await pending).toBeInstanceOf(Error);
  });

  it("lets a short exec finish and exits 0", async () => {
    const p = start();
    const url = await listening(p);
    const pending = exec(url, ["sleep", "1"]);
    await until("the exec to run", async () => {
      const health = (await (await fetch(`${url}/healthz`)).json()) as { running: number };
      return health.running === 1;
    });
    const exit = terminate(p);
    const answer = await pending;
    expect(answer.json).toMatchObject({ exitCode: 0, timedOut: false });
    const { code, ms } = await exit;
    expect(code).toBe(0);
    expect(ms).toBeLessThan(EXIT_BOUND_MS);
  });
});
