import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type HookdProcess, runCli, startHookd } from "../support/cli.ts";
import { requireDocker } from "../support/docker.ts";
import { lifecycleLabel } from "../support/labels.ts";
import { startTarget, type TestTarget } from "../support/servers.ts";
import { tempDir } from "../support/temp-dir.ts";
import { sleep, until } from "../support/wait.ts";
import { hookLines, RUN_LABEL, removeContainers, runContainer, startWatcher, uniqueName } from "./support.ts";

/** Contract §7: watchers on one engine sharing HOOKD_STORE act as one; runs are recorded there. */
describe("hookd docker watch with a shared SQLite store", { timeout: 120_000 }, () => {
  const dir = tempDir("hookd-docker-store");
  const store = { HOOKD_STORE: `sqlite:${join(dir, "hookd.db")}` };
  let target: TestTarget;
  const containers: string[] = [];
  const watchers: HookdProcess[] = [];
  beforeAll(async () => {
    target = await startTarget((_req, res) => res.writeHead(200).end("ok"));
  });
  // Every watcher of this file watches every container of it (RUN_LABEL): one left running into
  // the next test would run that test's hooks too (a watcher on another store is not excluded).
  afterEach(async () => {
    for (const w of watchers.splice(0)) await w.stop();
  });
  afterAll(async () => {
    const host = process.env.DOCKER_HOST;
    if (host) await removeContainers(host, containers);
    await target.close();
  });

  it("a second watcher on the same engine refuses to start, naming the first; the first's runs are recorded once", async (ctx) => {
    const host = requireDocker(ctx);
    const first = await startWatcher(host, store);
    watchers.push(first);
    const second = await runCli(["docker", "watch", "--json", "--label", RUN_LABEL], {
      env: { DOCKER_HOST: host, ...store },
    });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`pid ${first.child.pid}`);

    const name = uniqueName("shared");
    containers.push(name);
    await runContainer(
      host,
      name,
      lifecycleLabel({ postStart: { httpGet: { path: `/warm/${name}`, port: target.port } } }),
    );
    await first.waitFor("the postStart", (l) => l.event === "hook" && l.container === name);
    expect(await first.stop()).toBe(0);

    // Once the first has stopped, the engine is free; the run is in the store.
    const third = await startWatcher(host, store);
    watchers.push(third);
    await sleep(500);
    expect(target.requests.filter((r) => r.url === `/warm/${name}`)).toHaveLength(1);
    expect(hookLines(third, name)).toEqual([]);
    const runs = await runCli(["runs", "--json", "--container", name], { env: store });
    expect(runs.code, runs.stderr).toBe(0);
    const recorded = runs.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(recorded).toMatchObject([
      { phase: "postStart", outcome: "succeeded", source: { runtime: "docker", name } },
    ]);
  });

  it("--service: a service that cannot be reached yet is retried within the hook's deadline", async (ctx) => {
    const host = requireDocker(ctx);
    const free = await startTarget((_req, res) => res.end());
    const port = free.port;
    await free.close();
    const watcher = await startWatcher(host, { HOOKD_TOKEN: "svc-t0k", HOOKD_STORE: "memory" }, [
      "--service",
      `http://127.0.0.1:${port}`,
    ]);
    watchers.push(watcher);
    const name = uniqueName("late-service");
    containers.push(name);
    const postStart = {
      httpGet: { path: `/late/${name}`, port: target.port, host: "127.0.0.1" },
      timeoutSeconds: 30,
    };
    await runContainer(host, name, lifecycleLabel({ postStart }));
    await sleep(3_000);
    const service = startHookd(["serve", "--port", String(port)], {
      HOOKD_TOKEN: "svc-t0k",
      HOOKD_STORE: "memory",
      HOOKD_ALLOW_HOSTS: "127.0.0.1",
    });
    watchers.push(service);
    const line = await watcher.waitFor(
      "the postStart, once the service is up",
      (l) => l.event === "hook" && l.container === name,
    );
    expect(line).toMatchObject({ outcome: "succeeded" });
    // Exactly once: the attempts refused before the service was up never reached it.
    await sleep(500);
    expect(target.requests.filter((r) => r.url === `/late/${name}`)).toHaveLength(1);
  });

  it("a postStart abandoned at shutdown: exit 1 naming it, its claim released, and the next watcher runs it", async (ctx) => {
    const host = requireDocker(ctx);
    const env = { ...store, HOOKD_SHUTDOWN_SECONDS: "2" };
    // The first request never gets an answer; later ones do.
    const app = await startTarget((req, res) => {
      if (app.requests.indexOf(req) > 0) res.writeHead(200).end("ok");
    });
    try {
      const first = await startWatcher(host, env);
      watchers.push(first);
      const name = uniqueName("abandoned");
      containers.push(name);
      const path = `/warm/${name}`;
      const id = await runContainer(
        host,
        name,
        lifecycleLabel({ postStart: { httpGet: { path, port: app.port }, timeoutSeconds: 60 } }),
      );
      await until("the postStart to reach its target", () => app.requests.length === 1, 20_000);
      const stopping = Date.now();
      first.child.kill("SIGTERM");
      expect(await first.exited).toBe(1);
      // Contract §8: the release of its claim and the clean-up fit in HOOKD_SHUTDOWN_SECONDS
      // (2 s; the margin is for a loaded machine).
      expect(Date.now() - stopping).toBeLessThan(2_000 + 3_000);
      expect(first.lines).toContainEqual(
        expect.objectContaining({
          event: "error",
          container: name,
          containerId: id,
          message: expect.stringMatching(
            /^postStart abandoned at shutdown: still running after HOOKD_SHUTDOWN_SECONDS \(2s\); its claim is released/,
          ),
        }),
      );

      // The engine reports no start again: the next watcher learns of it from the store.
      const second = await startWatcher(host, env);
      watchers.push(second);
      const line = await second.waitFor(
        "the abandoned postStart, run by the next watcher",
        (l) => l.event === "hook" && l.container === name,
      );
      expect(line).toMatchObject({ phase: "postStart", outcome: "succeeded", containerId: id });
      expect(app.requests.map((r) => r.url)).toEqual([path, path]);
      expect(await second.stop()).toBe(0);

      // Run once by the second: a third watcher finds nothing left to do.
      const third = await startWatcher(host, env);
      watchers.push(third);
      await sleep(1_000);
      expect(app.requests).toHaveLength(2);
      expect(hookLines(third, name)).toEqual([]);
      const runs = await runCli(["runs", "--json", "--container", name], { env: store });
      expect(runs.stdout.trim().split("\n")).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
