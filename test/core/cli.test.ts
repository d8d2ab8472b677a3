import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { lifecycleJsonSchema } from "../../src/schema/json-schema.ts";
import { VERSION } from "../../src/version.ts";
import { runCli, startHookd } from "../support/cli.ts";
import { startTarget } from "../support/servers.ts";
import { tempDir } from "../support/temp-dir.ts";
import { until } from "../support/wait.ts";

const dir = tempDir("hookd-cli");
const file = (name: string, text: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

describe("hookd validate", () => {
  it("accepts a valid JSON spec and says what hooks it has", async () => {
    const p = file(
      "ok.json",
      JSON.stringify({
        postStart: { httpGet: { path: "/warm", port: 8080 } },
        preStop: { exec: { command: ["/bin/sh", "-c", "nginx -s quit; sleep 5"] }, timeoutSeconds: 20 },
      }),
    );
    const r = await runCli(["validate", p]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid \(postStart httpGet, preStop exec\)/);
  });

  it("reads YAML and prints every problem with its path, exiting 1", async () => {
    const p = file(
      "bad.yaml",
      [
        "postStart:",
        "  tcpSocket:",
        "    port: 80",
        "preStop:",
        "  httpGet:",
        "    port: 0",
        "    pathh: /x",
        "  sleep:",
        "    seconds: -1",
      ].join("\n"),
    );
    const r = await runCli(["validate", p]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("postStart.tcpSocket: tcpSocket is not supported");
    expect(r.stdout).toContain('preStop.httpGet.pathh: unknown field "pathh"');
    expect(r.stdout).toContain("preStop.httpGet.port:");
    expect(r.stdout).toContain("preStop.sleep.seconds:");
    expect(r.stdout).toMatch(/\d+ problems/);
  });

  it("reads YAML as data only: tags, several documents and an empty file are problems, said as such", async () => {
    const cases: Array<[string, string | Buffer, RegExp]> = [
      [
        "binary.yaml",
        "postStart:\n  sleep: !!binary aGVsbG8=\n",
        /\(root\): not valid YAML or JSON: Unresolved tag/,
      ],
      ["tag.yaml", "postStart:\n  sleep: !foo {seconds: 1}\n", /Unresolved tag: !foo at line 2/],
      [
        "two.yaml",
        "preStop: {sleep: {seconds: 1}}\n---\npreStop: {}\n",
        /more than one document \(---\): a spec is one/,
      ],
      [
        "empty.yaml",
        "# nothing but a comment\n",
        /\(root\): empty: no YAML or JSON document, expected an object/,
      ],
    ];
    // Many files in one run: a line per problem, each with its file.
    const r = await runCli(["validate", ...cases.map(([name, text]) => file(name, text))]);
    expect(r.code).toBe(1);
    for (const [name, , message] of cases) {
      const lines = r.stdout.split("\n").filter((l) => l.startsWith(join(dir, name)));
      expect(lines, name).toHaveLength(1);
      expect(lines[0], name).toMatch(message);
    }
    expect(r.stdout).toMatch(/^4 files: 0 valid, 4 invalid \(4 problems\)$/m);
  });

  it("reads a file saved as UTF-16, by its byte order mark", async () => {
    const yaml = "preStop:\n  sleep: {seconds: 2}\n";
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(yaml, "utf16le")]);
    const be = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(yaml, "utf16le").swap16()]);
    const r = await runCli(["validate", file("le.yaml", le), file("be.yaml", be)]);
    expect(r.stdout).toContain(`${join(dir, "le.yaml")}: valid (preStop sleep)`);
    expect(r.stdout).toContain(`${join(dir, "be.yaml")}: valid (preStop sleep)`);
    expect(r.stdout).toMatch(/^2 files: all valid$/m);
    expect(r.code).toBe(0);
  });

  it("reads standard input with -", async () => {
    const ok = await runCli(["validate", "-"], { input: '{"preStop":{"sleep":{"seconds":3}}}' });
    expect(ok.code).toBe(0);
    const bad = await runCli(["validate", "-"], { input: "{not json" });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/not valid YAML or JSON/);
  });

  it("takes many files: a line per file, then a summary; exit 1 when any is invalid or unreadable", async () => {
    const ok = file("many-ok.json", JSON.stringify({ preStop: { sleep: { seconds: 1 } } }));
    const none = file("many-none.yaml", "{}\n");
    const bad = file("many-bad.json", JSON.stringify({ postStart: { sleep: {} }, preStop: { exec: {} } }));
    const missing = join(dir, "nope.json");
    const r = await runCli(["validate", ok, none, bad, missing, "-"], {
      input: "postStart: {sleep: {seconds: 0}}",
    });
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")).toEqual([
      `${ok}: valid (preStop sleep)`,
      `${none}: valid (no hooks)`,
      `${bad}: postStart.sleep.seconds: Invalid input: expected number, received undefined`,
      `${bad}: preStop.exec.command: Invalid input: expected array, received undefined`,
      `${missing}: cannot read: ENOENT: no such file or directory, open '${missing}'`,
      "(stdin): valid (postStart sleep)",
      "5 files: 3 valid, 2 invalid (3 problems)",
      "",
    ]);
    const allValid = await runCli(["validate", ok, none]);
    expect(allValid.code).toBe(0);
    expect(allValid.stdout).toMatch(/^2 files: all valid$/m);
  });

  it("hints at what was meant: a pasted Pod lifecycle: wrapper, a port number in quotes", async () => {
    const wrapper = file("wrapper.yaml", "lifecycle:\n  postStart:\n    httpGet: {port: 8080}\n");
    const quoted = file("quoted.json", JSON.stringify({ postStart: { httpGet: { port: "8080" } } }));
    const named = file("named.json", JSON.stringify({ postStart: { httpGet: { port: "http" } } }));
    const r = await runCli(["validate", wrapper, quoted, named]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `${wrapper}: lifecycle: unknown field "lifecycle": the label holds the value of \`lifecycle:\` (its postStart and preStop), not the key itself`,
    );
    // "8080" passed validation and failed at run time as an unknown port name.
    expect(r.stdout).toContain(
      `${quoted}: postStart.httpGet.port: expected a number, or the name of a port: "8080" is text; write 8080 without quotes`,
    );
    expect(r.stdout).toContain(`${named}: valid (postStart httpGet)`);
  });
});

describe("hookd serve", () => {
  it("logs each result as one JSON line and lets an in-flight hook finish on SIGTERM", async () => {
    const target = await startTarget((_req, res) => {
      setTimeout(() => res.writeHead(200).end("late"), 800);
    });
    // Commas and blanks alone are no token either: the service says so.
    const p = startHookd(["serve", "--port", "0"], { HOOKD_TOKEN: " , " });
    try {
      const url = (await p.waitForStderr(/listening on (http:\/\/\S+)/))[1] ?? "";
      expect(p.stderr.join("\n")).toMatch(/HOOKD_TOKEN is not set.*loopback only/);
      const pending = fetch(`${url}/v1/hooks/run`, {
        method: "POST",
        body: JSON.stringify({
          phase: "postStart",
          handler: { httpGet: { port: target.port } },
          container: { ip: "127.0.0.1", name: "slow" },
        }),
      });
      // SIGTERM once the hook is in flight (its request reached the target), not after a guess.
      await until("the hook's request at the target", () => target.requests.length === 1);
      p.child.kill("SIGTERM");
      const res = await pending;
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ outcome: "succeeded", output: "late" });
      expect(await p.exited).toBe(0);
      expect(p.lines.find((l) => l.msg === "hook")).toMatchObject({
        phase: "postStart",
        container: "slow",
        outcome: "succeeded",
      });
    } finally {
      p.child.kill("SIGKILL");
      await target.close();
    }
  });

  it("refuses a non-loopback address without HOOKD_TOKEN", async () => {
    const r = await runCli(["serve", "--port", "0", "--host", "0.0.0.0"], { env: { HOOKD_TOKEN: "" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/HOOKD_TOKEN is not set: refusing/);
  });

  it("takes --port in digits only", async () => {
    const ports = ["0x1F91", "80.5", "65536", " "];
    const runs = await Promise.all(ports.map((port) => runCli(["serve", "--port", port])));
    ports.forEach((port, i) => {
      expect(runs[i]?.code, port).toBe(2);
      expect(runs[i]?.stderr).toContain(
        `--port must be a port number from 0 to 65535, got ${JSON.stringify(port)}`,
      );
    });
  });
});

describe("project invariants", () => {
  it("src/version.ts matches package.json", () => {
    const pkg = JSON.parse(readFileSync(resolve(import.meta.dirname, "../../package.json"), "utf8")) as {
      version: string;
    };
    expect(VERSION).toBe(pkg.version);
  });

  it("schema/lifecycle.schema.json is what `npm run schema` generates", () => {
    const committed = readFileSync(
      resolve(import.meta.dirname, "../../schema/lifecycle.schema.json"),
      "utf8",
    );
    expect(JSON.parse(committed)).toEqual(lifecycleJsonSchema());
  });
});
