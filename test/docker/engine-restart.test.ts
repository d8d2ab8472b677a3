import { mkdtemp, rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HookdProcess } from "../support/cli.ts";
import { requireDocker } from "../support/docker.ts";
import { startTestEngine, stopTestEngine } from "../support/docker-engine.ts";
import { lifecycleLabel } from "../support/labels.ts";
import { startTarget, type TestTarget } from "../support/servers.ts";
import { sleep, until } from "../support/wait.ts";
import { removeContainers, runContainer, startWatcher, uniqueName } from "./support.ts";

/**
 * An engine of this test's own, in a directory made for this run: restarting it disturbs neither
 * the other Docker tests nor any other engine on the machine. Short, for the socket's path.
 */
let engineDir = "";
const startEngine = async () => {
  const engine = await startTestEngine({ dir: engineDir, ownerPid: process.pid });
  if (engine.started === undefined) throw new Error(`an engine was already running in ${engineDir}`);
  return engine.host;
};

describe("hookd docker watch across an engine restart", () => {
  let host = "";
  let target: TestTarget;
  let watcher: HookdProcess | undefined;
  const containers: string[] = [];

  beforeAll(async () => {
    engineDir = await mkdtemp("/tmp/hookd-restart-");
    target = await startTarget((_req, res) => res.writeHead(200).end());
  });
  afterAll(async () => {
    await watcher?.stop();
    if (host) await removeContainers(host, containers);
    if (host) await stopTestEngine(engineDir);
    await rm(engineDir, { recursive: true, force: true });
    await target.close();
  });

  it("reconnects, resumes from the last event, and loses no start nor runs one twice", {
    timeout: 180_000,
  }, async (ctx) => {
    requireDocker(ctx);
    host = await startEngine();
    watcher = await startWatcher(host);
    const w = watcher;
    const hooksFor = (name: string) => target.requests.filter((r) => r.url === `/warm/${name}`).length;
    const label = (name: string) =>
      lifecycleLabel({ postStart: { httpGet: { path: `/warm/${name}`, port: target.port } } });

    const before = uniqueName("before-restart");
    containers.push(before);
    await runContainer(host, before, label(before));
    await w.waitFor("the first postStart", (l) => l.event === "hook" && l.container === before);

    // Frozen, the watcher cannot reconnect before the new engine has run the next containers:
    // their starts can only reach it through `since`.
    w.child.kill("SIGSTOP");
    const after = [uniqueName("after-restart-1"), uniqueName("after-restart-2")];
    try {
      await stopTestEngine(engineDir);
      await startEngine();
      containers.push(...after);
      await Promise.all(after.map((name) => runContainer(host, name, label(name))));
    } finally {
      w.child.kill("SIGCONT");
    }
    await w.waitFor(
      "the watcher to notice",
      (l) => l.event === "status" && /engine lost/.test(String(l.message)),
    );

    const resumed = await w.waitFor(
      "the watcher to reconnect",
      (l) => l.event === "status" && /reconnected/.test(String(l.message)),
      30_000,
    );
    expect(resumed.message).toMatch(/resuming from \d+\.\d{9}$/);
    await until("both postStart hooks", () => after.every((n) => hooksFor(n) === 1), 20_000);
    await sleep(1_000);
    for (const name of after) expect(hooksFor(name)).toBe(1);
    expect(hooksFor(before)).toBe(1);
  });
});
