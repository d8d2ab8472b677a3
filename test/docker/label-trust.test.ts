import type { IncomingMessage, ServerResponse } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type HookdProcess, startHookd } from "../support/cli.ts";
import { requireDocker } from "../support/docker.ts";
import { lifecycleLabel } from "../support/labels.ts";
import { startTarget, type TestTarget } from "../support/servers.ts";
import {
  inspectState,
  removeContainers,
  runContainer,
  SHORT_GRACE,
  startWatcher,
  uniqueName,
} from "./support.ts";

/**
 * The Docker adapter holds a container's labels to the container itself (contract §1), in-process
 * and with --service. Containers run on the host network (their IP is 127.0.0.1); 127.0.0.2
 * plays another host, with a web server and a fake exec agent that must see no connection.
 */
const OTHER = "127.0.0.2";
const TOKEN = "svc-token-label-trust";
const AGENT_TOKEN = "agent-token-label-trust";

const agentAnswer = (_req: IncomingMessage, res: ServerResponse) =>
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ exitCode: 0, output: "" }));

describe("hookd docker watch: labels aimed at another host", { timeout: 120_000 }, () => {
  let host = "";
  let web: TestTarget;
  let agent: TestTarget;
  const processes: HookdProcess[] = [];
  const containers: string[] = [];

  beforeAll(async () => {
    web = await startTarget((_req, res) => res.writeHead(200).end("internal"), OTHER);
    agent = await startTarget(agentAnswer, OTHER);
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.stop();
    if (host) await removeContainers(host, containers.splice(0));
  });
  afterAll(async () => {
    await web.close();
    await agent.close();
  });

  /** One container whose postStart GETs 127.0.0.2, one whose postStart execs through an agent there. */
  async function runBoth(prefix: string): Promise<{ getter: string; execer: string }> {
    const getter = uniqueName(`${prefix}-get`);
    const execer = uniqueName(`${prefix}-exec`);
    containers.push(getter, execer);
    const never = { ...SHORT_GRACE, "hookd.restart-policy": "Never" };
    await runContainer(host, getter, {
      ...lifecycleLabel({ postStart: { httpGet: { host: OTHER, port: web.port, path: `/${getter}` } } }),
      ...never,
    });
    await runContainer(host, execer, {
      ...lifecycleLabel(
        { postStart: { exec: { command: ["true"] } } },
        { "hookd.agent-url": `http://${OTHER}:${agent.port}` },
      ),
      ...never,
    });
    return { getter, execer };
  }

  const hookOf = (watcher: HookdProcess, name: string) =>
    watcher.waitFor(`${name}'s postStart`, (l) => l.event === "hook" && l.container === name);

  async function expectRefused(watcher: HookdProcess, prefix: string): Promise<void> {
    const before = { web: web.connections(), agent: agent.connections() };
    const { getter, execer } = await runBoth(prefix);
    expect(await hookOf(watcher, getter)).toMatchObject({
      outcome: "failed",
      action: "kill",
      message: expect.stringContaining("HOOKD_ALLOW_HOSTS"),
    });
    expect(await hookOf(watcher, execer)).toMatchObject({
      outcome: "failed",
      action: "kill",
      message: expect.stringContaining("HOOKD_AGENT_HOSTS"),
    });
    await watcher.waitFor("the kill", (l) => l.event === "stopped" && l.container === getter);
    expect((await inspectState(host, getter)).Running).toBe(false);
    expect({ web: web.connections(), agent: agent.connections() }).toEqual(before);
  }

  it("in-process: refuses both without a connection, and the failed postStart stops the container", async (ctx) => {
    host = requireDocker(ctx);
    const watcher = await startWatcher(host, { HOOKD_AGENT_TOKEN: AGENT_TOKEN });
    processes.push(watcher);
    await expectRefused(watcher, "inproc");
  });

  it("--service: hookd serve refuses the labels the watcher sends", async (ctx) => {
    host = requireDocker(ctx);
    const serve = startHookd(["serve", "--port", "0"], {
      HOOKD_TOKEN: TOKEN,
      HOOKD_AGENT_TOKEN: AGENT_TOKEN,
    });
    processes.push(serve);
    const service = (await serve.waitForStderr(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] ?? "";
    // The watcher's own settings would allow both: with --service they are the service's to give.
    const watcher = await startWatcher(
      host,
      { HOOKD_TOKEN: TOKEN, HOOKD_ALLOW_HOSTS: OTHER, HOOKD_AGENT_HOSTS: OTHER },
      ["--service", service],
    );
    processes.push(watcher);
    await expectRefused(watcher, "svc");
  });

  it("in-process with HOOKD_ALLOW_HOSTS and HOOKD_AGENT_HOSTS: both run, and the agent there gets the token", async (ctx) => {
    host = requireDocker(ctx);
    const watcher = await startWatcher(host, {
      HOOKD_AGENT_TOKEN: AGENT_TOKEN,
      HOOKD_ALLOW_HOSTS: OTHER,
      HOOKD_AGENT_HOSTS: OTHER,
    });
    processes.push(watcher);
    const agentRequests = agent.requests.length;
    const { getter, execer } = await runBoth("allowed");
    expect(await hookOf(watcher, getter)).toMatchObject({
      outcome: "succeeded",
      statusCode: 200,
      action: "none",
    });
    expect(await hookOf(watcher, execer)).toMatchObject({
      outcome: "succeeded",
      exitCode: 0,
      action: "none",
    });
    expect(web.requests.filter((r) => r.url === `/${getter}`)).toHaveLength(1);
    expect(agent.requests.slice(agentRequests).map((r) => r.headers.authorization)).toEqual([
      `Bearer ${AGENT_TOKEN}`,
    ]);
  });
});
