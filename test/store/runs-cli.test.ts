import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeServer } from "../../src/entry/node.ts";
import { runCli, startHookd } from "../support/cli.ts";
import { runHttpGetHook, startService, startTarget, type TestTarget } from "../support/servers.ts";
import { tempDir } from "../support/temp-dir.ts";

const TOKEN = "runs-cli-t0k";

describe("hookd runs", () => {
  const dir = tempDir("hookd-runs-cli");
  const store = `sqlite:${join(dir, "hookd.db")}`;
  let svc: NodeServer;
  let target: TestTarget;
  beforeAll(async () => {
    svc = await startService({ HOOKD_TOKEN: TOKEN, HOOKD_STORE: store });
    target = await startTarget((req, res) => res.writeHead(req.url?.startsWith("/bad") ? 500 : 200).end("x"));
  });
  afterAll(async () => {
    await svc.close();
    await target.close();
  });
  // A long query: the table cuts the message to the terminal's width.
  const runHook = (path: string, name: string) =>
    runHttpGetHook(svc.url, TOKEN, { path: `${path}?${"long-query-".repeat(30)}`, port: target.port, name });

  it("prints JSON lines from the service, filtered, oldest first", async () => {
    await runHook("/ok", "cli-a");
    await runHook("/bad", "cli-a");
    await runHook("/ok", "cli-b");
    const r = await runCli(["runs", "--service", svc.url, "--json", "--container", "cli-a"], {
      env: { HOOKD_TOKEN: TOKEN },
    });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.container, l.outcome])).toEqual([
      ["cli-a", "succeeded"],
      ["cli-a", "failed"],
    ]);
    expect(lines[0]).toMatchObject({ source: { runtime: "api" }, phase: "postStart", handler: "httpGet" });
  });

  it("prints a table from HOOKD_STORE, the message cut to the width", async () => {
    const r = await runCli(["runs", "--outcome", "failed"], { env: { HOOKD_STORE: store } });
    expect(r.code, r.stderr).toBe(0);
    const [header, ...rows] = r.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^TIME\s+CONTAINER\s+PHASE\s+HANDLER\s+OUTCOME\s+DURATION\s+MESSAGE$/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(
      /cli-a\s+postStart\s+httpGet\s+failed\s+\d+ms\s+httpGet http:\/\/127\.0\.0\.1:\d+\/bad/,
    );
    expect(rows[0]?.length).toBeLessThanOrEqual(120);
    expect(rows[0]).toMatch(/…$/);
  });

  it("--follow prints runs as they are recorded", async () => {
    const follower = startHookd(["runs", "--follow", "--json", "--container", "cli-follow"], {
      HOOKD_STORE: store,
    });
    try {
      await new Promise((r) => setTimeout(r, 1500));
      await runHook("/ok", "cli-follow");
      const line = await follower.waitFor("the new run", (l) => l.container === "cli-follow");
      expect(line).toMatchObject({ outcome: "succeeded", source: { runtime: "api" } });
      await runHook("/bad", "cli-follow");
      await follower.waitFor("the second run", (l) => l.container === "cli-follow" && l.outcome === "failed");
    } finally {
      expect(await follower.stop()).toBe(0);
    }
    expect(follower.lines.filter((l) => l.container === "cli-follow")).toHaveLength(2);
  });

  it("--help exits 0; a wrong flag or value prints the usage and exits 2; an unreachable service exits 1", {
    timeout: 120_000,
  }, async () => {
    const help = await runCli(["runs", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/usage: hookd runs/);
    for (const args of [["--limit", "0"], ["--limit", "501"], ["--phase", "later"], ["--bogus"], ["extra"]]) {
      const bad = await runCli(["runs", ...args], { env: { HOOKD_STORE: store } });
      expect(bad.code, args.join(" ")).toBe(2);
      expect(bad.stderr).toMatch(/usage: hookd runs/);
    }
    const down = await runCli(["runs", "--service", "http://127.0.0.1:9"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/unreachable/);
  });
});
