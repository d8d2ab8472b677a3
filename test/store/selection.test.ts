import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { type HookdProcess, startHookd } from "../support/cli.ts";
import { tempDir } from "../support/temp-dir.ts";

const LISTENING = /listening on (http:\/\/\S+)/;

describe("HOOKD_STORE chooses where hookd serve keeps its state", () => {
  const dir = tempDir("hookd-store-select");
  const started: HookdProcess[] = [];
  const serve = (env: Record<string, string | undefined>, cwd: string) => {
    const p = startHookd(["serve", "--port", "0"], env, { cwd });
    started.push(p);
    return p;
  };
  afterEach(async () => {
    for (const p of started.splice(0)) await p.stop();
  });

  it("unset on Node: sqlite:.hookd/hookd.db in the working directory, folder and all", async () => {
    const cwd = join(dir, "default");
    mkdirSync(cwd);
    const p = serve({ HOOKD_STORE: undefined }, cwd);
    await p.waitForStderr(LISTENING);
    expect(existsSync(join(cwd, ".hookd", "hookd.db"))).toBe(true);
  });

  it("sqlite:PATH relative to the working directory", async () => {
    const p = serve({ HOOKD_STORE: "sqlite:state/nested/x.db" }, dir);
    await p.waitForStderr(LISTENING);
    expect(existsSync(join(dir, "state", "nested", "x.db"))).toBe(true);
  });

  it.each([
    ["sqlite:", "HOOKD_STORE"],
    ["postgres://db", "HOOKD_STORE"],
    ["dynamodb:x", "HOOKD_STORE"],
  ])("a bad HOOKD_STORE (%s) stops the process, naming the setting", async (value, named) => {
    const p = serve({ HOOKD_STORE: value }, dir);
    expect(await p.exited).toBe(1);
    expect(p.stderr.join("\n")).toContain(named);
  });

  it("a file that cannot be opened stops the process, naming the store", async () => {
    // A directory where the file should be.
    const p = serve({ HOOKD_STORE: `sqlite:${dir}` }, dir);
    expect(await p.exited).toBe(1);
    expect(p.stderr.join("\n")).toContain(`sqlite:${dir}`);
  });
});
