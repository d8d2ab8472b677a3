import { CfnParameter, type Stack, Token } from "aws-cdk-lib";
import type { Node } from "constructs";

/** A context value (`cdk synth -c name=value`) as a string, or undefined when absent or empty. */
export function contextString(node: Node, name: string): string | undefined {
  const value: unknown = node.tryGetContext(name);
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string")
    throw new Error(`context ${name}: expected a string, got ${JSON.stringify(value)}`);
  return value;
}

/** A comma-separated context value as a list, or undefined when absent. */
export function contextList(node: Node, name: string): string[] | undefined {
  const value = contextString(node, name);
  return value
    ?.split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

export interface RequiredSetting {
  /** Context key the app reads it from, e.g. `clusterArn`. */
  readonly context: string;
  /** CloudFormation parameter asked at deploy time when no value was given, e.g. `ClusterArn`. */
  readonly parameter: string;
  readonly description: string;
  readonly allowedPattern: string;
}

/**
 * A setting a stack cannot do without: the value given (checked here), else a CloudFormation
 * parameter. Synth therefore succeeds offline without any setting, and the template stays
 * deployable as is (`cdk deploy --parameters ClusterArn=…`).
 */
export function valueOrParameter(stack: Stack, setting: RequiredSetting, value: string | undefined): string {
  if (value !== undefined) {
    if (!Token.isUnresolved(value) && !new RegExp(`^(?:${setting.allowedPattern})$`).test(value)) {
      throw new Error(`${setting.context} "${value}" does not match ${setting.allowedPattern}`);
    }
    return value;
  }
  return new CfnParameter(stack, setting.parameter, {
    type: "String",
    description: `${setting.description} (or synth with -c ${setting.context}=…)`,
    allowedPattern: setting.allowedPattern,
  }).valueAsString;
}

export const CLUSTER_ARN: RequiredSetting = {
  context: "clusterArn",
  parameter: "ClusterArn",
  description: "ARN of the ECS cluster whose tasks have hooks",
  allowedPattern: "arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/[A-Za-z0-9_-]+",
};

export const HOOKD_URL: RequiredSetting = {
  context: "hookdUrl",
  parameter: "HookdUrl",
  description: "hookd's HTTPS base URL, without a trailing slash, e.g. https://hookd.example.workers.dev",
  allowedPattern: "https://[^/?#\\s]+(/[^?#\\s]*[^/?#\\s])?",
};
