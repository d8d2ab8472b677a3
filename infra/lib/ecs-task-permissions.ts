import { Arn, ArnFormat, aws_iam as iam, type Stack } from "aws-cdk-lib";

/** `arn:…:task/<cluster name>/*`: the tasks of one cluster (long ARN format, the default since 2021). */
function clusterTasksArn(stack: Stack, clusterArn: string): string {
  const cluster = Arn.split(clusterArn, ArnFormat.SLASH_RESOURCE_NAME);
  return Arn.format(
    {
      partition: cluster.partition ?? stack.partition,
      service: "ecs",
      region: cluster.region ?? stack.region,
      account: cluster.account ?? stack.account,
      resource: "task",
      resourceName: `${cluster.resourceName}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    },
    stack,
  );
}

/**
 * What hookd's ECS adapter calls, and nothing more: read task definitions (hooks, stopTimeout,
 * port names), describe and stop the tasks of one cluster.
 */
export function ecsTaskPolicyStatements(stack: Stack, clusterArn: string): iam.PolicyStatement[] {
  return [
    new iam.PolicyStatement({
      sid: "ReadTaskDefinitions",
      actions: ["ecs:DescribeTaskDefinition"],
      // DescribeTaskDefinition supports no resource-level permissions: IAM accepts only "*".
      resources: ["*"],
    }),
    new iam.PolicyStatement({
      sid: "DescribeAndStopTasksOfOneCluster",
      actions: ["ecs:DescribeTasks", "ecs:StopTask"],
      resources: [clusterTasksArn(stack, clusterArn)],
      // Belt and braces: the resource pattern and the cluster condition both pin the cluster.
      conditions: { ArnEquals: { "ecs:cluster": clusterArn } },
    }),
  ];
}
