import { createServer, type Server, type Socket } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type HookdProcess, runCli } from "../support/cli.ts";
import { requireDocker } from "../support/docker.ts";
import { lifecycleLabel } from "../support/labels.ts";
import { startTarget } from "../support/servers.ts";
import { until } from "../support/wait.ts";
import {
  inspectState,
  removeContainers,
  runContainer,
  SHORT_GRACE,
  startWatcher,
  uniqueName,
} from "./support.ts";

/** A "hookd service" that accepts connections, reads what it is sent, and never answers. */
async function silentService(): Promise<{ url: string; connections(): number; close(): Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((s) => {
    sockets.push(s);
    s.resume();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => sockets.length,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * A watcher sending to `serviceUrl`, and a container whose httpGet postStart has `timeoutSeconds`
 * (restart policy Never): the postStart's line, and when the container was started.
 */
async function postStartThroughService(
  host: string,
  serviceUrl: string,
  prefix: string,
  timeoutSeconds: number,
  track: { watchers: HookdProcess[]; containers: string[] },
) {
  const watcher = await startWatcher(host, {}, ["--service", serviceUrl]);
  track.watchers.push(watcher);
  const name = uniqueName(prefix);
  track.containers.push(name);
  const started = Date.now();
  await runContainer(
    host,
    name,
    lifecycleLabel(
      { postStart: { httpGet: { path: "/warm", port: 1 }, timeoutSeconds } },
      { ...SHORT_GRACE, "hookd.restart-policy": "Never" },
    ),
  );
  const line = await watcher.waitFor(
    "the postStart counted as failed",
    (l) => l.event === "hook" && l.container === name,
    40_000,
  );
  return { watcher, name, line, started };
}

/** Contract §8: with --service, every call has a deadline — the hook's own plus a margin (5 s). */
describe("--service: a service that accepts and never answers", { timeout: 90_000 }, () => {
  let service: Awaited<ReturnType<typeof silentService>>;
  let host = "";
  const containers: string[] = [];
  const watchers: HookdProcess[] = [];
  beforeAll(async () => {
    service = await silentService();
  });
  afterEach(async () => {
    for (const w of watchers.splice(0)) await w.stop();
    if (host) await removeContainers(host, containers.splice(0));
  });
  afterAll(() => service.close());

  it("docker watch: the postStart is failed after its deadline + 5 s, naming the service; the kill follows", async (ctx) => {
    host = requireDocker(ctx);
    const { watcher, name, line, started } = await postStartThroughService(
      host,
      service.url,
      "silent-svc",
      2,
      { watchers, containers },
    );
    const tookMs = Date.now() - started;
    expect(line).toMatchObject({
      phase: "postStart",
      handler: "httpGet",
      outcome: "failed",
      reason: "FailedPostStartHook",
      action: "kill",
      message: `service ${service.url} gave no answer within 7s (the hook's deadline 2s + 5s)`,
    });
    // The request did reach it (and was not sent again), and the watcher waited out the deadline.
    expect(service.connections()).toBe(1);
    expect(tookMs).toBeGreaterThanOrEqual(6_000);
    expect(tookMs).toBeLessThan(30_000);
    await watcher.waitFor(
      "the container stopped (restart policy Never)",
      (l) => l.event === "stopped" && l.container === name,
      30_000,
    );
    expect((await inspectState(host, name)).Running).toBe(false);
  });

  it("docker stop: the preStop is failed within the grace period, and the container is stopped", async (ctx) => {
    host = requireDocker(ctx);
    const name = uniqueName("silent-stop");
    containers.push(name);
    await runContainer(host, name, lifecycleLabel({ preStop: { httpGet: { path: "/drain", port: 1 } } }));
    const before = service.connections();
    const started = Date.now();
    const stop = await runCli(["docker", "stop", name, "-t", "2", "--service", service.url], {
      env: { DOCKER_HOST: host },
    });
    const tookMs = Date.now() - started;
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stderr).toContain(
      `${name}: preStop failed: service ${service.url} gave no answer within 2s (the grace period)`,
    );
    expect(service.connections()).toBe(before + 1);
    // The hook's call gives up at the grace period (2 s); the stop then takes at least 2 s more.
    expect(tookMs).toBeGreaterThanOrEqual(2_000);
    expect(tookMs).toBeLessThan(30_000);
    expect((await inspectState(host, name)).Running).toBe(false);
  });
});

describe("--service: a service that cannot be reached", { timeout: 60_000 }, () => {
  let host = "";
  const containers: string[] = [];
  const watchers: HookdProcess[] = [];
  afterAll(async () => {
    for (const w of watchers) await w.stop();
    if (host) await removeContainers(host, containers);
  });

  it("is tried again until the hook's deadline, then the postStart is failed, naming the service", async (ctx) => {
    host = requireDocker(ctx);
    const free = await startTarget((_req, res) => res.end());
    const url = free.url;
    await free.close();
    const { name, line, started } = await postStartThroughService(host, url, "no-svc", 3, {
      watchers,
      containers,
    });
    expect(line).toMatchObject({ outcome: "failed", action: "kill" });
    expect(String(line.message)).toMatch(
      new RegExp(
        `^service ${url.replace(/\./g, "\\.")} unreachable, tried for 3s \\(the hook's deadline\\): .*ECONNREFUSED`,
      ),
    );
    // Tried until the hook's deadline itself, the last attempt at 3 s.
    expect(Number(line.durationMs)).toBeGreaterThanOrEqual(2_990);
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    await until("the container stopped", async () => !(await inspectState(host, name)).Running, 30_000);
  });
});
