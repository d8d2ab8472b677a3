import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentServer } from "../../src/agent/server.ts";
import { tempDir } from "../support/temp-dir.ts";
import { isAlive, postExec, startTestAgent } from "./helpers.ts";

const TOKEN = "agent-local-secret";

const scratch = tempDir("hookd-agent-local");

describe("hookd agent --mode local, with real processes", () => {
  let agent: AgentServer;
  const exec = (body: Record<string, unknown>, signal?: AbortSignal) =>
    postExec(agent.url, { timeoutMs: 10_000, ...body }, { token: TOKEN, ...(signal && { signal }) });

  beforeAll(async () => {
    agent = await startTestAgent("local", { HOOKD_AGENT_TOKEN: TOKEN });
  });
  afterAll(() => agent.close());

  it("runs a command without a shell and reports exit code 0 with its output", async () => {
    const r = await exec({ command: ["echo", "$HOME", "a  b"] });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ exitCode: 0, output: "$HOME a  b\n", truncated: false, timedOut: false });
  });

  it("reports a non-zero exit code, and gives stdout then stderr", async () => {
    const r = await exec({ command: ["sh", "-c", "echo to-stderr >&2; echo to-stdout; exit 4"] });
    expect(r.json).toMatchObject({ exitCode: 4, output: "to-stdout\nto-stderr\n", timedOut: false });
  });

  it("merges env over the agent's own and runs in workingDir", async () => {
    const dir = scratch;
    const r = await exec({
      command: ["sh", "-c", 'pwd; echo "$GREETING"; test -n "$PATH" && echo has-path'],
      workingDir: dir,
      env: { GREETING: "hi there" },
    });
    expect(r.json).toMatchObject({ exitCode: 0, output: `${dir}\nhi there\nhas-path\n` });
  });

  it("runs as another user by name or uid when the agent is root, else refuses clearly", async () => {
    const byName = await exec({ command: ["id", "-u"], user: "nobody" });
    const byUid = await exec({ command: ["id", "-u"], user: "65534" });
    if (process.getuid?.() === 0) {
      expect(byName.json).toMatchObject({ exitCode: 0, output: "65534\n" });
      expect(byUid.json).toMatchObject({ exitCode: 0, output: "65534\n" });
    } else {
      expect(byName.status).toBe(403);
      expect(byName.json).toMatchObject({ error: { code: "user_switch_needs_root" } });
      expect(byUid.status).toBe(403);
    }
  });

  it("answers an unknown user and a missing workingDir with 400 naming the field", async () => {
    const user = await exec({ command: ["true"], user: "no-such-user-hookd" });
    expect(user.status).toBe(400);
    expect(user.json).toMatchObject({
      error: {
        code: "unknown_user",
        issues: [{ path: "user" }],
        message: expect.stringMatching(/no-such-user-hookd/),
      },
    });
    const dir = await exec({ command: ["true"], workingDir: "/no/such/dir" });
    expect(dir.status).toBe(400);
    expect(dir.json).toMatchObject({
      error: { code: "working_dir_not_found", issues: [{ path: "workingDir" }] },
    });
  });

  it("answers a program that does not exist with exit code 127 and why", async () => {
    const r = await exec({ command: ["/no/such/program", "x"] });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ exitCode: 127, timedOut: false });
    expect(r.json.output).toMatch(/\/no\/such\/program.*ENOENT/);
  });

  it("caps the output at 10 KiB, stdout first, and says it truncated", async () => {
    const r = await exec({ command: ["sh", "-c", "echo lost >&2; head -c 30000 /dev/zero | tr '\\0' a"] });
    expect(r.json).toMatchObject({ exitCode: 0, truncated: true, output: "a".repeat(10 * 1024) });
  });

  it("drops a UTF-8 character that the 10 KiB limit would cut in half", async () => {
    const r = await exec({ command: ["sh", "-c", "head -c 10239 /dev/zero | tr '\\0' a; printf 'éé'"] });
    expect(r.json).toMatchObject({ exitCode: 0, truncated: true, output: "a".repeat(10239) });
  });

  it("kills the whole process group of a command that forks, at the deadline", async () => {
    const started = Date.now();
    const r = await exec({ command: ["sh", "-c", "sleep 30 & echo $$ $!; sleep 30; wait"], timeoutMs: 1000 });
    expect(r.json).toMatchObject({ timedOut: true, exitCode: null });
    expect(Date.now() - started).toBeLessThan(10_000);
    const pids = String(r.json.output).trim().split(" ").map(Number);
    expect(pids).toHaveLength(2);
    await expect.poll(() => pids.filter(isAlive), { timeout: 3000 }).toEqual([]);
  });

  it("kills the command when the caller hangs up before the deadline", async () => {
    const pidFile = join(scratch, "hangup.pid");
    const caller = AbortSignal.timeout(700);
    await expect(
      exec({ command: ["sh", "-c", `echo $$ > ${pidFile}; exec sleep 30`], timeoutMs: 30_000 }, caller),
    ).rejects.toThrow();
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    expect(pid).toBeGreaterThan(0);
    await expect.poll(() => isAlive(pid), { timeout: 3000 }).toBe(false);
  });
});
