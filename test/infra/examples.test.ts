import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { Stack } from "aws-cdk-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ecsTaskPolicyStatements } from "../../infra/lib/ecs-task-permissions.ts";
import type { NodeServer } from "../../src/entry/node.ts";
import { type FakeEcs, startFakeEcs } from "../support/fake-ecs.ts";
import { fakeEcsEnv } from "../support/fake-ecs-env.ts";
import { lifecycleLabel } from "../support/labels.ts";
import { startService, startTarget, type TestTarget } from "../support/servers.ts";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "..", "..");
const EXAMPLE = join(ROOT, "examples", "ecs");

interface ContainerDefinition {
  name: string;
  essential?: boolean;
  command?: string[];
  stopTimeout?: number;
  dockerLabels?: Record<string, string>;
  portMappings?: Array<{ name?: string; containerPort: number }>;
  dependsOn?: Array<{ containerName: string; condition: string }>;
  secrets?: Array<{ name: string; valueFrom: string }>;
  healthCheck?: { command: string[] };
}
interface TaskDefinition {
  pidMode?: string;
  networkMode?: string;
  containerDefinitions: ContainerDefinition[];
}

const taskDefinition = JSON.parse(
  readFileSync(join(EXAMPLE, "task-definition.json"), "utf8"),
) as TaskDefinition;
const container = (name: string): ContainerDefinition => {
  const found = taskDefinition.containerDefinitions.find((c) => c.name === name);
  if (!found) throw new Error(`examples/ecs/task-definition.json has no container ${name}`);
  return found;
};

describe("examples/ecs/task-definition.json", () => {
  const web = container("web");
  const agent = container("hookd-agent");
  const lifecycle = web.dockerLabels?.["hookd.lifecycle"] ?? "";

  it("labels the app with a lifecycle that `hookd validate` accepts", async () => {
    const child = execFile(process.execPath, [join(ROOT, "bin", "hookd.mjs"), "validate", "-"]);
    child.stdin?.end(lifecycle);
    const out = await new Promise<{ code: number | null; stdout: string }>((done) => {
      let stdout = "";
      child.stdout?.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.on("close", (code) => done({ code, stdout }));
    });
    expect(out).toEqual({
      code: 0,
      stdout: expect.stringContaining("valid (postStart httpGet, preStop exec)"),
    });
  });

  it("names the port postStart uses, and sends exec hooks to the sidecar at {ip}", () => {
    const spec = JSON.parse(lifecycle) as { postStart: { httpGet: { port: string } } };
    expect(web.portMappings?.map((p) => p.name)).toContain(spec.postStart.httpGet.port);
    const agentPort = agent.portMappings?.[0]?.containerPort;
    expect(web.dockerLabels?.["hookd.agent-url"]).toBe(`http://{ip}:${agentPort}`);
    expect(web.stopTimeout).toBeGreaterThan(25);
    expect(web.stopTimeout).toBeLessThanOrEqual(120);
  });

  it("runs the agent as a local-mode sidecar sharing the task, started before and stopped after the app", () => {
    expect(taskDefinition).toMatchObject({ networkMode: "awsvpc", pidMode: "task" });
    expect(agent.command).toEqual(["agent", "--mode", "local", "--host", "0.0.0.0"]);
    // Listening beyond loopback, the agent refuses to start without its token.
    expect(agent.secrets?.map((s) => s.name)).toEqual(["HOOKD_AGENT_TOKEN"]);
    expect(agent.essential).toBe(false);
    expect(web.dependsOn).toEqual([{ containerName: "hookd-agent", condition: "HEALTHY" }]);
  });

  it("runs in the sidecar only what hookd's image (the root Dockerfile, node:24-slim) has: node, no curl nor wget", () => {
    const preStop = (JSON.parse(lifecycle) as { preStop: { exec: { command: string[] } } }).preStop.exec
      .command;
    expect(preStop.slice(0, 2)).toEqual(["node", "-e"]);
    expect(agent.healthCheck?.command.slice(0, 3)).toEqual(["CMD", "node", "-e"]);
    expect(readFileSync(join(ROOT, "Dockerfile"), "utf8")).toMatch(/^ARG BASE_IMAGE=node:24-slim$/m);
    const readme = readFileSync(join(EXAMPLE, "README.md"), "utf8");
    expect(readme).toContain("docker build -t 123456789012.dkr.ecr.eu-west-1.amazonaws.com/hookd:0.1.0 .");
    expect(readme).not.toMatch(/docker build -f/);
  });
});

describe("examples/ecs/worker-iam-policy.json", () => {
  it("grants the Worker exactly what the Lambda stack grants its function", () => {
    const policy = JSON.parse(readFileSync(join(EXAMPLE, "worker-iam-policy.json"), "utf8")) as {
      Statement: Array<{ Condition: { ArnEquals: { "ecs:cluster": string } } } | object>;
    };
    const cluster = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod";
    const stack = new Stack();
    const expected = ecsTaskPolicyStatements(stack, cluster).map((s) => stack.resolve(s.toStatementJson()));
    expect(policy).toEqual({ Version: "2012-10-17", Statement: expected });
  });
});

describe("examples/ecs/graceful-stop.sh", () => {
  const TOKEN = "graceful-t0k";
  const TASK = "arn:aws:ecs:us-west-2:111122223333:task/prod/0123456789abcdef";
  let fake: FakeEcs;
  let svc: NodeServer;
  let app: TestTarget;
  const drainedAt: number[] = [];

  beforeAll(async () => {
    fake = await startFakeEcs();
    app = await startTarget((_req, res) => {
      drainedAt.push(Date.now());
      res.writeHead(200).end("drained");
    });
    const definition = "arn:aws:ecs:us-west-2:111122223333:task-definition/web:7";
    fake.putTaskDefinition(definition, [
      {
        name: "web",
        stopTimeout: 10,
        dockerLabels: lifecycleLabel({ preStop: { httpGet: { path: "/drain", port: app.port } } }),
      },
    ]);
    fake.putTask({
      taskArn: TASK,
      clusterArn: "arn:aws:ecs:us-west-2:111122223333:cluster/prod",
      taskDefinitionArn: definition,
      lastStatus: "RUNNING",
      desiredStatus: "RUNNING",
      containers: [
        {
          name: "web",
          lastStatus: "RUNNING",
          runtimeId: "a".repeat(64),
          networkInterfaces: [{ privateIpv4Address: "127.0.0.1" }],
        },
      ],
    });
    svc = await startService({ HOOKD_TOKEN: TOKEN, ...fakeEcsEnv(fake.url) });
  });
  afterAll(async () => {
    await svc?.close();
    await app?.close();
    await fake?.close();
  });

  it("runs preStop through hookd's URL, then StopTask with the reason given", async () => {
    const { stdout } = await run("sh", [join(EXAMPLE, "graceful-stop.sh"), "prod", TASK, "deploy 42"], {
      env: { PATH: process.env.PATH ?? "", HOOKD_URL: `${svc.url}/`, HOOKD_TOKEN: TOKEN },
      timeout: 20_000,
    });
    const answer = JSON.parse(stdout) as { results: Array<Record<string, unknown>>; actions: unknown[] };
    expect(answer.results).toMatchObject([{ phase: "preStop", container: "web", outcome: "succeeded" }]);
    const stops = fake.callsOf("StopTask");
    expect(stops.map((c) => c.body)).toEqual([expect.objectContaining({ task: TASK, reason: "deploy 42" })]);
    expect(drainedAt).toHaveLength(1);
    expect(drainedAt[0]).toBeLessThanOrEqual(stops[0]?.at ?? 0);
  });

  it("fails, printing hookd's answer, when the token is wrong", async () => {
    const failed = run("sh", [join(EXAMPLE, "graceful-stop.sh"), "prod", TASK], {
      env: { PATH: process.env.PATH ?? "", HOOKD_URL: svc.url, HOOKD_TOKEN: "wrong" },
      timeout: 20_000,
    });
    await expect(failed).rejects.toMatchObject({ code: 22, stdout: expect.stringContaining("unauthorized") });
  });

  it("goes through `aws lambda invoke` to the Lambda entry when HOOKD_FUNCTION is set", async () => {
    // A stand-in `aws`: `npm run invoke:lambda`'s script does what Lambda does with the payload.
    const bin = mkdtempSync(join(tmpdir(), "hookd-fake-aws-"));
    try {
      writeFileSync(
        join(bin, "aws"),
        `#!/bin/sh
while [ $# -gt 1 ]; do [ "$1" = --payload ] && payload=$2; shift; done
printf '%s' "$payload" | ${JSON.stringify(process.execPath)} ${JSON.stringify(join(ROOT, "scripts", "invoke-lambda.ts"))} - | tail -n 1 >"$1"
`,
      );
      chmodSync(join(bin, "aws"), 0o755);
      const stopsBefore = fake.callsOf("StopTask").length;
      const { stdout } = await run("sh", [join(EXAMPLE, "graceful-stop.sh"), "prod", TASK, "deploy 43"], {
        env: {
          PATH: `${bin}:${process.env.PATH ?? ""}`,
          HOOKD_FUNCTION: "hookd",
          HOOKD_TOKEN: TOKEN,
          // The Lambda's default store is DynamoDB (contract §7): this process's memory will do here.
          HOOKD_STORE: "memory",
          ...fakeEcsEnv(fake.url),
        },
        timeout: 30_000,
      });
      expect(JSON.parse(stdout)).toMatchObject({ statusCode: 200 });
      expect(
        fake
          .callsOf("StopTask")
          .slice(stopsBefore)
          .map((c) => c.body.reason),
      ).toEqual(["deploy 43"]);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
