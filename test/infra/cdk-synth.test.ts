import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const INFRA = resolve(import.meta.dirname, "..", "..", "infra");
const CDK_CLI = resolve(INFRA, "..", "node_modules", "aws-cdk", "bin", "cdk");

interface ValidationReport {
  pluginReports: Array<{ conclusion: string; violations: Array<{ ruleName: string; description: string }> }>;
}

describe("cdk synth (the aws-cdk CLI, offline)", () => {
  const outdir = mkdtempSync(join(tmpdir(), "hookd-cdk-synth-"));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  // ~15 s on an idle 2-core machine (the CLI runs cfn-lint on both templates); much more under load.
  it("synthesizes both shapes from infra/cdk.json without credentials, Docker or network", {
    timeout: 180_000,
  }, async () => {
    const { stderr } = await run(
      process.execPath,
      [
        CDK_CLI,
        "synth",
        "--quiet",
        "--no-notices",
        "--output",
        outdir,
        "--context",
        "clusterArn=arn:aws:ecs:eu-west-1:111122223333:cluster/prod",
        "--context",
        "hookdUrl=https://hookd.example.workers.dev",
        "--context",
        "allowHosts=10.0.5.0/24,hooks.internal",
        "--context",
        "agentHosts=10.0.6.0/24",
      ],
      {
        cwd: INFRA,
        timeout: 170_000,
        // No AWS credentials, no instance metadata: nothing to look up, nothing to reach.
        env: {
          PATH: process.env.PATH ?? "",
          HOME: outdir,
          AWS_EC2_METADATA_DISABLED: "true",
          CDK_DISABLE_CLI_TELEMETRY: "true",
        },
      },
    );
    expect(stderr).toContain("Successfully synthesized");
    const manifest = JSON.parse(readFileSync(join(outdir, "manifest.json"), "utf8")) as {
      artifacts: Record<string, { type: string }>;
    };
    const stacks = Object.entries(manifest.artifacts)
      .filter(([, a]) => a.type === "aws:cloudformation:stack")
      .map(([id]) => id);
    expect(stacks.sort()).toEqual(["HookdEcsApiDestination", "HookdEcsLambda"]);

    const lambdaTemplate = readFileSync(join(outdir, "HookdEcsLambda.template.json"), "utf8");
    expect(lambdaTemplate).toContain('"HOOKD_ALLOW_HOSTS": "10.0.5.0/24,hooks.internal"');
    expect(lambdaTemplate).toContain('"HOOKD_AGENT_HOSTS": "10.0.6.0/24"');
    const assetHash = lambdaTemplate.match(/"([0-9a-f]{64})\.zip"/)?.[1];
    expect(existsSync(join(outdir, `asset.${assetHash}`, "index.mjs"))).toBe(true);
    expect(readdirSync(outdir).filter((f) => f.startsWith("asset."))).toHaveLength(1);

    // cfn-lint's verdict: no error and no warning (nodejs24.x is not deprecated).
    const report = JSON.parse(
      readFileSync(join(outdir, "validation-report.json"), "utf8"),
    ) as ValidationReport;
    for (const plugin of report.pluginReports) {
      expect(plugin.conclusion).toBe("success");
      expect(plugin.violations.map((v) => v.ruleName)).toEqual([]);
    }
  });
});
