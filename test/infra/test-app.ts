import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import type { Template } from "aws-cdk-lib/assertions";
import { afterAll, expect } from "vitest";

/**
 * Call at the top of a test file: returns a factory of CDK apps for assertion tests, each
 * synthesizing into its own directory under one temporary root, removed after the file's tests.
 * The built-in CloudFormation validation (cfn-lint) costs seconds per stack: the CLI synth test
 * keeps it, these apps skip it.
 */
export function testApps(): () => App {
  const root = mkdtempSync(join(tmpdir(), "hookd-cdk-test-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return () => new App({ outdir: mkdtempSync(join(root, "app-")), builtinCloudFormationValidation: false });
}

/** The one resource of `type` in the template (the test fails unless there is exactly one). */
export function onlyResource(template: Template, type: string): { logicalId: string; properties: unknown } {
  const found = Object.entries(template.findResources(type));
  expect(found, `exactly one ${type}`).toHaveLength(1);
  const [logicalId, resource] = found[0] ?? ["", {}];
  return { logicalId, properties: (resource as { Properties?: unknown }).Properties };
}
