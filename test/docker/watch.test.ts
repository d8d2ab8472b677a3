import type { IncomingMessage } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { HookdProcess } from "../support/cli.ts";
import { requireDocker } from "../support/docker.ts";
import { lifecycleLabel } from "../support/labels.ts";
import { startTarget, type TestTarget } from "../support/servers.ts";
import { sleep, until } from "../support/wait.ts";
import {
  docker,
  hookLines,
  inspectState,
  removeContainers,
  runContainer,
  SHORT_GRACE,
  startWatcher,
  uniqueName,
} from "./support.ts";

/** Hook targets on 127.0.0.1: `/fail…` answers 500, `/hang…` never, anything else 200; every request is timed. */
let target: TestTarget;
const arrivals: Array<{ url: string; at: number }> = [];
const requestsTo = (path: string) => target.requests.filter((r: IncomingMessage) => r.url === path);

const httpGet = (path: string) => ({ httpGet: { path, port: target.port } });

describe("hookd docker watch (in-process hooks)", { timeout: 120_000 }, () => {
  let host: string;
  /** One watcher for the whole file; the test that restarts a watcher runs its own. */
  let shared: HookdProcess | undefined;
  let watcher: HookdProcess | undefined;
  const containers: string[] = [];
  const sharedWatcher = async (h: string) => {
    shared ??= await startWatcher(h);
    return shared;
  };

  beforeAll(async () => {
    target = await startTarget((req, res) => {
      arrivals.push({ url: req.url ?? "", at: Date.now() });
      if (req.url?.startsWith("/hang")) return;
      res.writeHead(req.url?.startsWith("/fail") ? 500 : 200).end("ok");
    });
  });
  afterEach(async () => {
    await watcher?.stop();
    watcher = undefined;
    if (host) await removeContainers(host, containers.splice(0));
  });
  afterAll(async () => {
    await shared?.stop();
    await target.close();
  });

  it("runs a postStart httpGet within seconds of docker run, and leaves an unlabelled container alone", async (ctx) => {
    host = requireDocker(ctx);
    const watcher = await sharedWatcher(host);
    const web = uniqueName("web");
    const plain = uniqueName("plain");
    containers.push(web, plain);
    const started = Date.now();
    await runContainer(host, web, lifecycleLabel({ postStart: httpGet(`/warm/${web}`) }));
    await runContainer(host, plain, { "other.label": "x" });

    const line = await watcher.waitFor(
      "the postStart result",
      (l) => l.event === "hook" && l.container === web,
    );
    expect(line).toMatchObject({
      phase: "postStart",
      handler: "httpGet",
      outcome: "succeeded",
      action: "none",
    });
    expect(line.message).toMatch(
      new RegExp(`^httpGet http://127\\.0\\.0\\.1:${target.port}/warm/${web}: status 200`),
    );
    expect(requestsTo(`/warm/${web}`)).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(10_000);

    await sleep(500);
    expect(watcher.lines.filter((l) => l.container === plain)).toEqual([]);
    expect((await inspectState(host, plain)).Running).toBe(true);
    expect((await inspectState(host, web)).Running).toBe(true);
  });

  it("a failing postStart with Always: preStop, stop, restarts with growing gaps, postStart each time", async (ctx) => {
    host = requireDocker(ctx);
    const watcher = await sharedWatcher(host);
    const name = uniqueName("always");
    containers.push(name);
    await runContainer(host, name, {
      ...lifecycleLabel({ postStart: httpGet(`/fail/${name}`), preStop: httpGet(`/drain/${name}`) }),
      ...SHORT_GRACE,
      "hookd.restart-policy": "Always",
    });
    await until("four postStart runs", () => requestsTo(`/fail/${name}`).length >= 4, 25_000);

    const backoffs = watcher.lines.filter((l) => l.event === "backoff" && l.container === name);
    expect(backoffs.slice(0, 3).map((l) => l.message)).toEqual([
      "restart policy Always (label hookd.restart-policy): restart #1 in 500ms",
      "restart policy Always (label hookd.restart-policy): restart #2 in 1000ms",
      "restart policy Always (label hookd.restart-policy): restart #3 in 2000ms",
    ]);
    const times = arrivals.filter((a) => a.url === `/fail/${name}`).map((a) => a.at);
    const gaps = times.slice(1).map((t, i) => t - (times[i] ?? t));
    // Each gap is the backoff plus a stop, a start and a hook: never shorter than the backoff.
    expect(gaps[0]).toBeGreaterThanOrEqual(500);
    expect(gaps[1]).toBeGreaterThanOrEqual(1000);
    expect(gaps[2]).toBeGreaterThanOrEqual(2000);
    expect(gaps[2]).toBeGreaterThan(gaps[0] ?? 0);
    // preStop ran before each stop: once per failed postStart that was followed by a restart.
    expect(requestsTo(`/drain/${name}`).length).toBeGreaterThanOrEqual(3);
    const failed = hookLines(watcher, name, "postStart");
    expect(failed[0]).toMatchObject({ outcome: "failed", reason: "FailedPostStartHook", action: "kill" });
  });

  it("with Never the container stays stopped, and Docker's own restart policy does not bring it back", async (ctx) => {
    host = requireDocker(ctx);
    const watcher = await sharedWatcher(host);
    const name = uniqueName("never");
    containers.push(name);
    await runContainer(
      host,
      name,
      {
        ...lifecycleLabel({ postStart: httpGet(`/fail/${name}`) }),
        ...SHORT_GRACE,
        "hookd.restart-policy": "Never",
      },
      { restart: "always" },
    );
    const stopped = await watcher.waitFor("the stop", (l) => l.event === "stopped" && l.container === name);
    expect(stopped.message).toBe(
      "restart policy Never (label hookd.restart-policy): the container stays stopped",
    );
    await sleep(2_000);
    const state = await inspectState(host, name);
    expect(state.Running).toBe(false);
    expect(await docker(host, ["inspect", "-f", "{{.RestartCount}}", name])).toBe("0");
    expect(requestsTo(`/fail/${name}`)).toHaveLength(1);
    expect(watcher.lines.filter((l) => l.event === "backoff" && l.container === name)).toEqual([]);
  });

  it("a postStart that times out counts as failed: the container is killed", async (ctx) => {
    host = requireDocker(ctx);
    const watcher = await sharedWatcher(host);
    const name = uniqueName("timeout");
    containers.push(name);
    await runContainer(host, name, {
      ...lifecycleLabel({ postStart: { ...httpGet(`/hang/${name}`), timeoutSeconds: 1 } }),
      "hookd.restart-policy": "Never",
    });
    const hook = await watcher.waitFor("the postStart", (l) => l.event === "hook" && l.container === name);
    expect(hook).toMatchObject({ outcome: "timedOut", reason: "FailedPostStartHook", action: "kill" });
    expect(hook.message).toContain("timed out after 1s");
    await watcher.waitFor("the stop", (l) => l.event === "stopped" && l.container === name);
    expect((await inspectState(host, name)).Running).toBe(false);
  });

  it("derives the restart policy from Docker's: on-failure restarts after a failed postStart", async (ctx) => {
    host = requireDocker(ctx);
    const watcher = await sharedWatcher(host);
    const name = uniqueName("derived");
    containers.push(name);
    await runContainer(
      host,
      name,
      {
        ...lifecycleLabel({ postStart: httpGet(`/fail/${name}`) }),
        ...SHORT_GRACE,
        "hookd.restart-policy": "Sometimes",
      },
      { restart: "on-failure" },
    );
    await until("a second postStart run", () => requestsTo(`/fail/${name}`).length >= 2);
    const backoff = await watcher.waitFor(
      "a backoff line",
      (l) => l.event === "backoff" && l.container === name,
    );
    // The message names what decided: Docker's policy, the bad label ignored.
    expect(backoff.message).toBe(
      'restart policy OnFailure (Docker restart policy "on-failure", hookd.restart-policy "Sometimes" ignored): restart #1 in 500ms',
    );
    const hook = await watcher.waitFor("the postStart", (l) => l.event === "hook" && l.container === name);
    expect(hook.warnings).toEqual([
      'hookd.restart-policy: expected Always, OnFailure or Never, got "Sometimes"; ignored: the container\'s Docker restart policy decides',
    ]);
  });

  it("bad restart-policy and grace-period labels are warnings naming them, and never block a valid postStart", async (ctx) => {
    host = requireDocker(ctx);
    const watcher = await sharedWatcher(host);
    const name = uniqueName("badside");
    containers.push(name);
    await runContainer(host, name, {
      ...lifecycleLabel({ postStart: httpGet(`/warm/${name}`) }),
      "hookd.restart-policy": "Sometimes",
      "hookd.termination-grace-period-seconds": "-1",
    });
    const hook = await watcher.waitFor("the postStart", (l) => l.event === "hook" && l.container === name);
    expect(hook).toMatchObject({ outcome: "succeeded", action: "none" });
    expect(hook.warnings).toEqual([
      'hookd.termination-grace-period-seconds: expected a whole number of seconds ≥ 0, got "-1"; ignored: 30s applies',
      'hookd.restart-policy: expected Always, OnFailure or Never, got "Sometimes"; ignored: the container\'s Docker restart policy decides',
    ]);
    expect(requestsTo(`/warm/${name}`)).toHaveLength(1);
    expect((await inspectState(host, name)).Running).toBe(true);
  });

  it("a bad hookd.lifecycle label is reported with its path, and the container is left alone", async (ctx) => {
    host = requireDocker(ctx);
    const watcher = await sharedWatcher(host);
    const name = uniqueName("badlabel");
    containers.push(name);
    await runContainer(host, name, lifecycleLabel({ postStart: { tcpSocket: { port: 80 } } }));
    const error = await watcher.waitFor("the error", (l) => l.event === "error" && l.container === name);
    expect(error.message).toContain(
      "postStart not run: service in-process answered 400: a hookd label is invalid",
    );
    expect(error.message).toContain("container.labels.hookd.lifecycle.postStart.tcpSocket");
    expect((await inspectState(host, name)).Running).toBe(true);
  });

  it("a restarted watcher does not re-run the hooks of containers already running", async (ctx) => {
    host = requireDocker(ctx);
    // Only the watchers of this test may run: another would run the hooks too.
    await shared?.stop();
    shared = undefined;
    const first = await startWatcher(host);
    const before = uniqueName("before");
    const after = uniqueName("after");
    containers.push(before, after);
    await runContainer(host, before, lifecycleLabel({ postStart: httpGet(`/warm/${before}`) }));
    await first.waitFor("the first postStart", (l) => l.event === "hook" && l.container === before);
    expect(await first.stop()).toBe(0);

    watcher = await startWatcher(host);
    await runContainer(host, after, lifecycleLabel({ postStart: httpGet(`/warm/${after}`) }));
    await watcher.waitFor(
      "the second container's postStart",
      (l) => l.event === "hook" && l.container === after,
    );
    await sleep(500);
    expect(requestsTo(`/warm/${before}`)).toHaveLength(1);
    expect(hookLines(watcher, before)).toEqual([]);
  });
});
