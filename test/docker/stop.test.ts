import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startHookd } from "../support/cli.ts";
import { requireDocker } from "../support/docker.ts";
import { lifecycleLabel } from "../support/labels.ts";
import { startTarget, type TestTarget } from "../support/servers.ts";
import { docker, inspectState, removeContainers, runContainer, uniqueName } from "./support.ts";

/** `/drain…` answers 200 after noting whether the container was still running; `/fail…` 500; `/hang…` never. */
let target: TestTarget;
const runningAtPreStop = new Map<string, string>();
let host = "";

const preStop = (path: string) => lifecycleLabel({ preStop: { httpGet: { path, port: target.port } } });

async function hookdStop(args: string[]) {
  const p = startHookd(["docker", "stop", "--json", ...args], { DOCKER_HOST: host });
  const code = await p.exited;
  return { code, lines: p.lines, stderr: p.stderr.join("\n") };
}

describe("hookd docker stop", { timeout: 120_000 }, () => {
  const containers: string[] = [];
  beforeAll(async () => {
    target = await startTarget((req, res) => {
      const url = req.url ?? "";
      if (url.startsWith("/hang")) return;
      if (url.startsWith("/fail")) return void res.writeHead(500).end("draining failed");
      const name = url.split("/")[2] ?? "";
      void docker(host, ["inspect", "-f", "{{.State.Running}}", name]).then((running) => {
        runningAtPreStop.set(name, running);
        res.writeHead(200).end("drained");
      });
    });
  });
  afterEach(async () => {
    if (host) await removeContainers(host, containers.splice(0));
  });
  afterAll(async () => {
    await target.close();
  });

  it("runs preStop while the container still runs, then stops it", async (ctx) => {
    host = requireDocker(ctx);
    const name = uniqueName("drain");
    containers.push(name);
    await runContainer(host, name, preStop(`/drain/${name}`));
    const { code, lines } = await hookdStop([name]);
    expect(code).toBe(0);
    expect(runningAtPreStop.get(name)).toBe("true");
    expect(lines.find((l) => l.event === "hook")).toMatchObject({
      phase: "preStop",
      handler: "httpGet",
      outcome: "succeeded",
      container: name,
    });
    expect((await inspectState(host, name)).Running).toBe(false);
  });

  it("reports a failed preStop on stderr and still stops the container (exit 0)", async (ctx) => {
    host = requireDocker(ctx);
    const name = uniqueName("fail");
    containers.push(name);
    await runContainer(host, name, preStop(`/fail/${name}`));
    const { code, stderr } = await hookdStop([name]);
    expect(code).toBe(0);
    expect(stderr).toContain(`hookd docker stop: ${name}: preStop failed: httpGet http://127.0.0.1:`);
    expect(stderr).toContain("status 500");
    expect((await inspectState(host, name)).Running).toBe(false);
  });

  it("a preStop that outlives the grace period is cut off, and the stop still happens with 2s", async (ctx) => {
    host = requireDocker(ctx);
    const name = uniqueName("hang");
    containers.push(name);
    // A plain `sleep` as PID 1 ignores SIGTERM: only the SIGKILL after the stop's timeout ends it.
    await runContainer(host, name, preStop(`/hang/${name}`), { command: ["sleep", "3600"] });
    const started = Date.now();
    const { code, lines, stderr } = await hookdStop([name, "-t", "2"]);
    expect(code).toBe(0);
    expect(lines.find((l) => l.event === "hook")).toMatchObject({ phase: "preStop", outcome: "timedOut" });
    expect(lines.find((l) => l.event === "stop")?.message).toBe("stopping with 2s before SIGKILL (grace 2s)");
    expect(stderr).toContain("preStop timedOut");
    expect((await inspectState(host, name)).Running).toBe(false);
    // 2 s of hook, then 2 s before SIGKILL: nowhere near the label-less default of 30 s.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("takes the grace period from the label when -t is not given", async (ctx) => {
    host = requireDocker(ctx);
    const name = uniqueName("label");
    containers.push(name);
    await runContainer(host, name, {
      ...preStop(`/drain/${name}`),
      "hookd.termination-grace-period-seconds": "7",
    });
    const { code, lines } = await hookdStop([name]);
    expect(code).toBe(0);
    expect(lines.find((l) => l.event === "stop")?.message).toMatch(
      /^stopping with [67]s before SIGKILL \(grace 7s\)$/,
    );
  });

  it("without a preStop it is a plain stop", async (ctx) => {
    host = requireDocker(ctx);
    const name = uniqueName("plain");
    containers.push(name);
    await runContainer(host, name, {});
    const { code, lines } = await hookdStop([name, "-t", "5"]);
    expect(code).toBe(0);
    expect(lines.filter((l) => l.event === "hook")).toEqual([]);
    expect(lines.find((l) => l.event === "stop")?.message).toBe("stopping with 5s before SIGKILL (grace 5s)");
    expect((await inspectState(host, name)).Running).toBe(false);
  });

  it("a missing container is a clear error and exit 1", async (ctx) => {
    host = requireDocker(ctx);
    const { code, stderr } = await hookdStop(["hookd-dt-no-such-container"]);
    expect(code).toBe(1);
    expect(stderr).toContain('hookd docker stop: no such container "hookd-dt-no-such-container"');
  });
});
