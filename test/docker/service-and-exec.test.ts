import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type HookdProcess, startHookd } from "../support/cli.ts";
import { requireDocker } from "../support/docker.ts";
import { lifecycleLabel } from "../support/labels.ts";
import { startTarget, type TestTarget } from "../support/servers.ts";
import { sleep } from "../support/wait.ts";
import {
  docker,
  inspectState,
  removeContainers,
  runContainer,
  SHORT_GRACE,
  startWatcher,
  uniqueName,
} from "./support.ts";

const TOKEN = "svc-token-for-docker-tests";
const AGENT_TOKEN = "agent-token-for-docker-tests";

let target: TestTarget;
const httpGet = (path: string) => ({ httpGet: { path, port: target.port } });
const writeMarker = (text: string) => ({
  exec: { command: ["sh", "-c", `echo ${text} > /tmp/hookd-marker`] },
});

/** A real `hookd agent --mode docker` on a free loopback port. */
async function startAgent(host: string): Promise<{ agent: HookdProcess; url: string }> {
  const agent = startHookd(["agent", "--mode", "docker", "--port", "0"], {
    DOCKER_HOST: host,
    HOOKD_AGENT_TOKEN: AGENT_TOKEN,
  });
  const url = (await agent.waitForStderr(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] ?? "";
  return { agent, url };
}

describe("hookd docker watch: exec through the agent, and --service against hookd serve", {
  timeout: 120_000,
}, () => {
  let host = "";
  const processes: HookdProcess[] = [];
  const containers: string[] = [];

  beforeAll(async () => {
    target = await startTarget((req, res) => res.writeHead(req.url?.startsWith("/fail") ? 500 : 200).end());
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) await p.stop();
    if (host) await removeContainers(host, containers.splice(0));
  });
  afterAll(async () => {
    await target.close();
  });

  it("in-process: a postStart exec runs inside the container through the agent", async (ctx) => {
    host = requireDocker(ctx);
    const { agent, url } = await startAgent(host);
    processes.push(agent);
    const watcher = await startWatcher(host, { HOOKD_AGENT_URL: url, HOOKD_AGENT_TOKEN: AGENT_TOKEN });
    processes.push(watcher);
    const name = uniqueName("exec");
    containers.push(name);
    await runContainer(host, name, lifecycleLabel({ postStart: writeMarker("warmed-in-process") }));

    const line = await watcher.waitFor(
      "the exec postStart",
      (l) => l.event === "hook" && l.container === name,
    );
    expect(line).toMatchObject({ phase: "postStart", handler: "exec", outcome: "succeeded", exitCode: 0 });
    expect(await docker(host, ["exec", name, "cat", "/tmp/hookd-marker"])).toBe("warmed-in-process");
  });

  it("--service: hooks run in hookd serve (httpGet and exec), and the watcher applies a kill", async (ctx) => {
    host = requireDocker(ctx);
    const { agent, url: agentUrl } = await startAgent(host);
    processes.push(agent);
    const serve = startHookd(["serve", "--port", "0"], {
      HOOKD_TOKEN: TOKEN,
      HOOKD_AGENT_URL: agentUrl,
      HOOKD_AGENT_TOKEN: AGENT_TOKEN,
    });
    processes.push(serve);
    const service = (await serve.waitForStderr(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] ?? "";
    // The watcher itself has no agent settings: the service runs the hooks.
    const watcher = await startWatcher(host, { HOOKD_TOKEN: TOKEN }, ["--service", service]);
    processes.push(watcher);
    expect(watcher.lines.find((l) => l.event === "status")?.message).toContain(`hooks ${service}`);

    const web = uniqueName("svc-http");
    const worker = uniqueName("svc-exec");
    const broken = uniqueName("svc-fail");
    containers.push(web, worker, broken);
    await Promise.all([
      runContainer(host, web, lifecycleLabel({ postStart: httpGet(`/warm/${web}`) })),
      runContainer(host, worker, lifecycleLabel({ postStart: writeMarker("warmed-by-service") })),
      runContainer(host, broken, {
        ...lifecycleLabel({ postStart: httpGet("/fail") }),
        ...SHORT_GRACE,
        "hookd.restart-policy": "Never",
      }),
    ]);

    const hookOf = (name: string) =>
      watcher.waitFor(`${name}'s postStart`, (l) => l.event === "hook" && l.container === name);
    expect(await hookOf(web)).toMatchObject({ handler: "httpGet", outcome: "succeeded", statusCode: 200 });
    expect(await hookOf(worker)).toMatchObject({ handler: "exec", outcome: "succeeded", exitCode: 0 });
    expect(await hookOf(broken)).toMatchObject({ outcome: "failed", statusCode: 500, action: "kill" });
    await watcher.waitFor("the kill", (l) => l.event === "stopped" && l.container === broken);
    expect(await docker(host, ["exec", worker, "cat", "/tmp/hookd-marker"])).toBe("warmed-by-service");
    expect((await inspectState(host, broken)).Running).toBe(false);
    expect(target.requests.filter((r) => r.url === `/warm/${web}`)).toHaveLength(1);
  });

  it("--service with a wrong token: the error is reported and the container is left alone", async (ctx) => {
    host = requireDocker(ctx);
    const serve = startHookd(["serve", "--port", "0"], { HOOKD_TOKEN: TOKEN });
    processes.push(serve);
    const service = (await serve.waitForStderr(/listening on (http:\/\/127\.0\.0\.1:\d+)/))[1] ?? "";
    const watcher = await startWatcher(host, { HOOKD_TOKEN: "wrong" }, ["--service", service]);
    processes.push(watcher);
    const name = uniqueName("svc-401");
    containers.push(name);
    await runContainer(host, name, lifecycleLabel({ postStart: httpGet("/fail") }));
    const error = await watcher.waitFor("the error", (l) => l.event === "error" && l.container === name);
    expect(error.message).toContain(`postStart not run: service ${service} answered 401`);
    await sleep(300);
    expect((await inspectState(host, name)).Running).toBe(true);
  });
});
