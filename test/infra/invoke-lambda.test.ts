import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeEcs, startFakeEcs } from "../support/fake-ecs.ts";
import { fakeEcsEnv } from "../support/fake-ecs-env.ts";
import { ECS_FIXTURES } from "../support/fixtures.ts";
import { lifecycleLabel } from "../support/labels.ts";
import { startTarget, type TestTarget } from "../support/servers.ts";

const ROOT = resolve(import.meta.dirname, "../..");

/** `npm run invoke:lambda -- FILE ARGS…`, as docs/deploy.md shows it. */
function invoke(
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(
      "npm",
      ["run", "--silent", "invoke:lambda", "--", ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 },
      (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(input ?? "");
  });
}

const lastLine = (text: string) =>
  JSON.parse(text.trim().split("\n").at(-1) ?? "null") as Record<string, unknown>;

describe("npm run invoke:lambda -- FILE (the Lambda entry, locally)", () => {
  let fake: FakeEcs;
  let target: TestTarget;
  let env: Record<string, string>;
  const fixture = resolve(ECS_FIXTURES, "task-running-fargate.json");

  beforeAll(async () => {
    fake = await startFakeEcs();
    target = await startTarget((_req, res) => res.writeHead(200).end("warm"));
    fake.putTaskDefinition("arn:aws:ecs:us-west-2:111122223333:task-definition/sample-fargate:1", [
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel({ postStart: { httpGet: { path: "/warm", port: target.port } } }),
      },
    ]);
    env = { ...fakeEcsEnv(fake.url), HOOKD_STORE: "memory" };
  });
  afterAll(async () => {
    await fake?.close();
    await target?.close();
  });

  it("runs the hooks of the sample ECS event through the real SDK and prints the answer last", async () => {
    const out = await invoke([fixture], env);
    expect(out.code, out.stderr).toBe(0);
    expect(lastLine(out.stdout)).toMatchObject({
      results: [{ phase: "postStart", container: "FargateApp", outcome: "succeeded", statusCode: 200 }],
      actions: [],
    });
    expect(target.requests.map((r) => r.url)).toEqual(["/warm"]);
    expect(fake.callsOf("DescribeTaskDefinition")).toHaveLength(1);
  });

  it("takes a Function URL request on standard input", async () => {
    const request = {
      version: "2.0",
      rawPath: "/healthz",
      rawQueryString: "",
      headers: { host: "hookd.lambda-url.us-west-2.on.aws" },
      requestContext: {
        http: { method: "GET", path: "/healthz", sourceIp: "127.0.0.1" },
        domainName: "hookd.lambda-url.us-west-2.on.aws",
      },
      isBase64Encoded: false,
    };
    const out = await invoke(["-"], env, JSON.stringify(request));
    expect(out.code, out.stderr).toBe(0);
    const answer = lastLine(out.stdout);
    expect(answer).toMatchObject({ statusCode: 200 });
    expect(JSON.parse(String(answer.body))).toMatchObject({ status: "ok" });
  });

  it("exits 2 naming the file when it is missing or not JSON, and 1 when the handler throws", async () => {
    const missing = await invoke(["no-such-event.json"], env);
    expect(missing).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("cannot read no-such-event.json"),
    });
    const notJson = await invoke(["-"], env, "{ nope");
    expect(notJson).toMatchObject({ code: 2, stderr: expect.stringContaining("is not JSON") });
    // ECS knows no such task definition: the handler throws, so that Lambda would retry the event.
    const event = JSON.parse(readFileSync(fixture, "utf8")) as { detail: { taskDefinitionArn: string } };
    event.detail.taskDefinitionArn = "arn:aws:ecs:us-west-2:111122223333:task-definition/unknown:9";
    const unknown = await invoke(["-"], env, JSON.stringify(event));
    expect(unknown).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/the handler threw.*DescribeTaskDefinition/),
    });
  });
});
