import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type HookdProcess, runCli, startHookd } from "../support/cli.ts";
import { requireDocker } from "../support/docker.ts";
import { lifecycleLabel } from "../support/labels.ts";
import { startTarget, type TestTarget } from "../support/servers.ts";
import { until } from "../support/wait.ts";
import { removeContainers, runContainer, startWatcher, uniqueName } from "./support.ts";

// The drain gets 2 s of it (the rest is for releasing claims and closing): the slow hook's 1 s fits.
const SHUTDOWN_SECONDS = 4;
// Contract §8: everything within HOOKD_SHUTDOWN_SECONDS (the margin is for a loaded machine).
const EXIT_BOUND_MS = SHUTDOWN_SECONDS * 1000 + 3_000;

async function terminate(p: HookdProcess): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  p.child.kill("SIGTERM");
  const code = await p.exited;
  return { code, ms: Date.now() - started };
}

describe("hookd docker watch: bounded shutdown (HOOKD_SHUTDOWN_SECONDS)", { timeout: 120_000 }, () => {
  /** `/hang…` never answers; anything else answers after a second. */
  let target: TestTarget;
  const containers: string[] = [];
  let host = "";
  beforeAll(async () => {
    target = await startTarget((req, res) => {
      if (req.url?.startsWith("/hang")) return;
      setTimeout(() => res.writeHead(200).end("ok"), 1_000);
    });
  });
  afterEach(async () => {
    if (host) await removeContainers(host, containers.splice(0));
  });
  afterAll(() => target.close());
  const arrived = (path: string) => target.requests.some((r) => r.url === path);

  const startWith = async (ctx: Parameters<typeof requireDocker>[0], path: string) => {
    host = requireDocker(ctx);
    const watcher = await startWatcher(host, { HOOKD_SHUTDOWN_SECONDS: String(SHUTDOWN_SECONDS) });
    const name = uniqueName("shutdown");
    containers.push(name);
    const id = await runContainer(
      host,
      name,
      lifecycleLabel({ postStart: { httpGet: { path, port: target.port }, timeoutSeconds: 60 } }),
    );
    await until("the postStart to reach its target", () => arrived(path), 20_000);
    return { watcher, name, id };
  };

  it("abandons a postStart that never finishes: reports it, exits 1 within the bound", async (ctx) => {
    const path = `/hang/${uniqueName("h")}`;
    const { watcher, id } = await startWith(ctx, path);
    const { code, ms } = await terminate(watcher);
    expect(code).toBe(1);
    expect(ms).toBeLessThan(EXIT_BOUND_MS);
    expect(watcher.lines).toContainEqual(
      expect.objectContaining({
        event: "error",
        containerId: id,
        // The tests' HOOKD_STORE is memory: it says that nothing is left for a later watcher.
        message: expect.stringMatching(
          /^postStart abandoned at shutdown: .*; HOOKD_STORE=memory keeps nothing: no later watcher runs it/,
        ),
      }),
    );
  });

  it("lets a short postStart finish, and exits 0", async (ctx) => {
    const path = `/slow/${uniqueName("s")}`;
    const { watcher, name } = await startWith(ctx, path);
    const { code, ms } = await terminate(watcher);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(EXIT_BOUND_MS);
    expect(watcher.lines).toContainEqual(
      expect.objectContaining({ event: "hook", container: name, outcome: "succeeded" }),
    );
  });
});

/** Fault injection: a Docker socket that accepts connections and never answers. */
describe("a Docker engine that never answers", { timeout: 60_000 }, () => {
  let server: Server;
  const sockets: Socket[] = [];
  const path = join(tmpdir(), `hookd-silent-docker-${process.pid}.sock`);
  beforeAll(async () => {
    server = createServer((s) => {
      sockets.push(s);
      s.resume();
    });
    await new Promise<void>((r) => server.listen(path, r));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("hookd docker stop reports the call that got no answer, and exits 1", async () => {
    const started = Date.now();
    const { code, stderr } = await runCli(["docker", "stop", "web"], {
      env: { DOCKER_HOST: `unix://${path}` },
    });
    expect(code).toBe(1);
    expect(stderr).toMatch(/Docker engine at unix:\/\/.*: GET \/containers\/web\/json: no answer within 10s/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("hookd docker watch reports the engine as lost, naming the call, and keeps trying", async () => {
    const watcher = startHookd(["docker", "watch", "--json"], { DOCKER_HOST: `unix://${path}` });
    try {
      const lost = await watcher.waitFor(
        "the engine reported lost",
        (l) => l.event === "status" && /engine lost/.test(String(l.message)),
        30_000,
      );
      expect(String(lost.message)).toMatch(/GET \/events: no answer within 10s/);
    } finally {
      await watcher.stop();
    }
  });
});
