import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const INFRA = resolve(import.meta.dirname, "..", "..", "infra");

/** Runs infra/bin/hookd.ts as the CDK CLI would (context in CDK_CONTEXT_JSON, output in CDK_OUTDIR). */
async function synthApp(context: Record<string, string>, outdir: string) {
  return run(process.execPath, ["bin/hookd.ts"], {
    cwd: INFRA,
    timeout: 60_000,
    env: {
      PATH: process.env.PATH ?? "",
      CDK_CONTEXT_JSON: JSON.stringify(context),
      CDK_OUTDIR: outdir,
      // cfn-lint is the CLI synth test's business; here only the app's choices count.
      CDK_VALIDATION: "false",
    },
  });
}

// Each synth is its own process, bounded at 60 s; a test runs up to three of them in turn.
describe("infra/bin/hookd.ts settings", { timeout: 180_000 }, () => {
  const root = mkdtempSync(join(tmpdir(), "hookd-cdk-app-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("synthesizes only the chosen shape, pinned to the account and region given", async () => {
    const outdir = mkdtempSync(join(root, "out-"));
    await synthApp(
      {
        shape: "api-destination",
        account: "123456789012",
        region: "eu-west-1",
        clusterArn: "*",
        hookdUrl: "https://hookd.example.workers.dev",
        tokenSecret: "hookd/token",
      },
      outdir,
    );
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as {
      artifacts: Record<string, { type: string; environment?: string }>;
    };
    const stacks = Object.entries(manifest.artifacts).filter(
      ([, a]) => a.type === "aws:cloudformation:stack",
    );
    expect(stacks.map(([id, a]) => [id, a.environment])).toEqual([
      ["HookdEcsApiDestination", "aws://123456789012/eu-west-1"],
    ]);
    const template = readFileSync(join(outdir, "HookdEcsApiDestination.template.json"), "utf8");
    expect(template).toContain("https://hookd.example.workers.dev/v1/events/ecs");
    expect(template).not.toContain('"clusterArn"');
  });

  it("refuses an unknown shape and half a VPC placement, naming the setting", async () => {
    const outdir = mkdtempSync(join(root, "out-"));
    await expect(synthApp({ shape: "ec2" }, outdir)).rejects.toMatchObject({
      stderr: expect.stringContaining('context shape="ec2": expected api-destination, lambda or both'),
    });
    await expect(synthApp({ shape: "lambda", vpcId: "vpc-0abc" }, outdir)).rejects.toMatchObject({
      stderr: expect.stringContaining("context vpcId and subnetIds go together"),
    });
    await expect(synthApp({ shape: "lambda", lambdaRuntime: "python3.12" }, outdir)).rejects.toMatchObject({
      stderr: expect.stringContaining('context lambdaRuntime="python3.12"'),
    });
  });

  it("refuses a Lambda runtime older than Node 24, which hookd needs", async () => {
    const outdir = mkdtempSync(join(root, "out-"));
    await expect(synthApp({ shape: "lambda", lambdaRuntime: "nodejs20.x" }, outdir)).rejects.toMatchObject({
      stderr: expect.stringContaining(
        'context lambdaRuntime="nodejs20.x": expected a Node.js runtime of Node 24 or newer',
      ),
    });
  });
});
