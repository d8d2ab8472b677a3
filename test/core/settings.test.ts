import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { expectNamed, settingRounds } from "../support/bad-settings.ts";
import { runCli, startHookd } from "../support/cli.ts";

/** The commands that read the settings at start; none may start its work with a bad one. */
const COMMANDS: string[][] = [
  ["serve", "--port", "0"],
  ["agent", "--mode", "local", "--port", "0"],
  // A socket that does not exist: settings are checked before the engine is reached.
  ["docker", "watch"],
];

describe("settings are checked at start, alike in every command", { timeout: 120_000 }, () => {
  for (const command of COMMANDS) {
    it(`hookd ${command.slice(0, 2).join(" ")}: every bad setting stops it with exit 1, naming the variable, the value and what is allowed`, async () => {
      for (const round of settingRounds()) {
        const env = Object.fromEntries(round.map((b) => [b.variable, b.value]));
        const r = await runCli(command, {
          env: { ...env, DOCKER_HOST: "unix:///nonexistent/hookd-test.sock" },
        });
        expect(r.code, JSON.stringify(env)).toBe(1);
        expect(r.stderr).toMatch(/bad settings: /);
        expect(r.stderr, "no usage for a bad setting: it is not a flag").not.toMatch(/usage:/);
        for (const bad of round) expectNamed(r.stderr, bad);
      }
    });
  }

  it("requires HOOKD_RESULTS_SECRET with HOOKD_RESULTS_URL, and a backoff cap at least its start", async () => {
    const r = await runCli(["serve", "--port", "0"], {
      env: { HOOKD_RESULTS_URL: "http://127.0.0.1:9/hooks", HOOKD_BACKOFF_MAX_MS: "5" },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/HOOKD_RESULTS_SECRET \(unset\): required with HOOKD_RESULTS_URL/);
    expect(r.stderr).toMatch(
      /HOOKD_BACKOFF_MAX_MS="5": expected at least HOOKD_BACKOFF_INITIAL_MS \(10000\)/,
    );
  });
  it("starts with good values of every setting", async () => {
    const p = startHookd(["serve", "--port", "0"], {
      HOOKD_TOKEN: "a,b",
      HOOKD_AGENT_TOKEN: "t",
      HOOKD_AGENT_URL: "http://{ip}:9700",
      HOOKD_DEFAULT_TIMEOUT_SECONDS: "5",
      HOOKD_BACKOFF_INITIAL_MS: "100",
      HOOKD_BACKOFF_MAX_MS: "1000",
      HOOKD_DENY_CIDRS: "",
      HOOKD_ALLOW_HOSTS: "api.internal, 10.0.0.0/8, 127.0.0.1",
      HOOKD_AGENT_HOSTS: "fd00::/8",
      PORT: "8080",
      HOOKD_STORE: "memory",
      HOOKD_RETENTION_HOURS: "24",
      HOOKD_RESULTS_URL: "http://127.0.0.1:9/hooks",
      HOOKD_RESULTS_SECRET: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      HOOKD_ECS_TIMEOUT_SECONDS: "3",
      HOOKD_SHUTDOWN_SECONDS: "0",
    });
    try {
      // --port wins over PORT.
      const url = (await p.waitForStderr(/listening on (http:\/\/\S+)/))[1] ?? "";
      expect(url).not.toMatch(/:8080$/);
    } finally {
      expect(await p.stop()).toBe(0);
    }
  });

  it("the Lambda function refuses to start (its cold start fails), naming the variable", async () => {
    const entry = resolve(import.meta.dirname, "../../src/entry/lambda.ts");
    const failed = await promisify(execFile)(
      process.execPath,
      ["--input-type=module", "-e", `await import(${JSON.stringify(entry)})`],
      {
        env: { ...process.env, HOOKD_AGENT_URL: "notaurl" },
      },
    ).then(
      () => undefined,
      (err: { code?: number; stderr?: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(
      /ConfigError: bad settings: HOOKD_AGENT_URL="notaurl": expected an http:\/\/ or https:\/\/ URL/,
    );
  });
});
