import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { Duration, aws_lambda as lambda } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { HookdLambdaStack, type HookdLambdaStackProps } from "../../infra/lib/lambda-stack.ts";
import { onlyResource, testApps } from "./test-app.ts";

const run = promisify(execFile);
const CLUSTER = "arn:aws:ecs:eu-west-1:111122223333:cluster/prod";
// A stand-in bundle: these tests look at the template, one test below bundles the real entry.
const PREBUILT = lambda.Code.fromInline("export const handler = async () => ({});");

const newApp = testApps();

function synth(props: HookdLambdaStackProps) {
  const app = newApp();
  const stack = new HookdLambdaStack(app, "HookdLambda", props);
  return { app, stack, template: Template.fromStack(stack) };
}

describe("Lambda stack", () => {
  const { template } = synth({ clusterArn: CLUSTER, code: PREBUILT });
  const fn = onlyResource(template, "AWS::Lambda::Function").logicalId;
  const queue = onlyResource(template, "AWS::SQS::Queue").logicalId;
  const table = onlyResource(template, "AWS::DynamoDB::Table").logicalId;
  const rules = Object.entries(template.findResources("AWS::Events::Rule"));
  const rule = rules.find(([, r]) => r.Properties.EventPattern !== undefined)?.[0] ?? "no ECS rule";
  const flush = rules.find(([, r]) => r.Properties.ScheduleExpression !== undefined)?.[0] ?? "no schedule";

  it("runs the Lambda entry on Node.js 24 with a timeout sized for hooks", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs24.x",
      Handler: "index.handler",
      Architectures: ["arm64"],
      MemorySize: 512,
      Timeout: 300,
      Environment: {
        Variables: {
          NODE_OPTIONS: "--enable-source-maps",
          HOOKD_STORE: { "Fn::Join": ["", ["dynamodb:", { Ref: table }]] },
        },
      },
      DeadLetterConfig: { TargetArn: { "Fn::GetAtt": [queue, "Arn"] } },
    });
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: { Ref: fn },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 1800,
    });
  });

  it("is invoked by the ECS task rule of the chosen cluster, with retries and the dead-letter queue", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: {
        source: ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        detail: { clusterArn: [CLUSTER] },
      },
      Targets: [
        {
          Id: "Target0",
          Arn: { "Fn::GetAtt": [fn, "Arn"] },
          DeadLetterConfig: { Arn: { "Fn::GetAtt": [queue, "Arn"] } },
          RetryPolicy: { MaximumEventAgeInSeconds: 1800, MaximumRetryAttempts: 4 },
        },
      ],
    });
    template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      FunctionName: { "Fn::GetAtt": [fn, "Arn"] },
      Principal: "events.amazonaws.com",
      SourceArn: { "Fn::GetAtt": [rule, "Arn"] },
    });
    template.resourceCountIs("AWS::Lambda::Permission", 2);
    template.resourceCountIs("AWS::Lambda::Url", 0);
  });

  it("keeps its state in one on-demand table with TTL and point-in-time recovery, kept on delete", () => {
    template.hasResource("AWS::DynamoDB::Table", {
      Properties: {
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ],
        BillingMode: "PAY_PER_REQUEST",
        TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
      DeletionPolicy: "Retain",
      UpdateReplacePolicy: "Retain",
    });
    template.hasOutput("TableName", { Value: { Ref: table } });
  });

  it("flushes the results outbox every minute with an event the entry knows, never to the queue", () => {
    template.hasResourceProperties("AWS::Events::Rule", {
      ScheduleExpression: "rate(1 minute)",
      State: "ENABLED",
      Targets: [
        {
          Id: "Target0",
          Arn: { "Fn::GetAtt": [fn, "Arn"] },
          Input: JSON.stringify({ hookd: "flush-outbox" }),
          RetryPolicy: { MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 0 },
        },
      ],
    });
    template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      FunctionName: { "Fn::GetAtt": [fn, "Arn"] },
      Principal: "events.amazonaws.com",
      SourceArn: { "Fn::GetAtt": [flush, "Arn"] },
    });
  });

  it("may read task definitions, describe and stop the cluster's tasks, write to its queue, use its table: nothing else", () => {
    const policies = Object.values(template.findResources("AWS::IAM::Policy"));
    expect(policies).toHaveLength(1);
    expect(policies[0]?.Properties.PolicyDocument).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "sqs:SendMessage", Resource: { "Fn::GetAtt": [queue, "Arn"] } },
        { Sid: "ReadTaskDefinitions", Effect: "Allow", Action: "ecs:DescribeTaskDefinition", Resource: "*" },
        {
          Sid: "DescribeAndStopTasksOfOneCluster",
          Effect: "Allow",
          Action: ["ecs:DescribeTasks", "ecs:StopTask"],
          Resource: "arn:aws:ecs:eu-west-1:111122223333:task/prod/*",
          Condition: { ArnEquals: { "ecs:cluster": CLUSTER } },
        },
        {
          Sid: "HookdStoreTable",
          Effect: "Allow",
          Action: [
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:BatchWriteItem",
            "dynamodb:Query",
          ],
          Resource: { "Fn::GetAtt": [table, "Arn"] },
        },
      ],
    });
    template.hasResourceProperties("AWS::IAM::Role", {
      ManagedPolicyArns: [
        {
          "Fn::Join": [
            "",
            ["arn:", { Ref: "AWS::Partition" }, ":iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"],
          ],
        },
      ],
    });
  });
});

describe("Lambda stack settings", () => {
  it("asks for ClusterArn at deploy time and derives the task ARN pattern from it", () => {
    const { template } = synth({ code: PREBUILT });
    template.hasParameter("ClusterArn", { Type: "String" });
    const policy = Object.values(template.findResources("AWS::IAM::Policy"))[0];
    const statements = policy?.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>;
    const tasks = statements.find((s) => s.Sid === "DescribeAndStopTasksOfOneCluster");
    expect(tasks?.Condition).toEqual({ ArnEquals: { "ecs:cluster": { Ref: "ClusterArn" } } });
    // arn:<partition>:ecs:<region>:<account>:task/<cluster name>/* from Fn::Split of the parameter.
    expect(JSON.stringify(tasks?.Resource)).toContain('":ecs:"');
    expect(JSON.stringify(tasks?.Resource)).toContain('":task/"');
    expect(JSON.stringify(tasks?.Resource)).toContain('"/*"');
  });

  it("runs in the tasks' subnets, with the agent URL and token, when told", () => {
    const { template } = synth({
      clusterArn: CLUSTER,
      code: PREBUILT,
      vpc: { vpcId: "vpc-0abc", subnetIds: ["subnet-a", "subnet-b"], securityGroupIds: ["sg-hooks"] },
      agentUrl: "http://{ip}:9700",
      agentTokenSecret: "hookd/agent-token",
      allowHosts: "10.0.5.0/24",
      agentHosts: "agents.internal",
      timeout: Duration.minutes(4),
      // A newer runtime than the default, as `-c lambdaRuntime=nodejs26.x` makes it.
      runtime: new lambda.Runtime("nodejs26.x", lambda.RuntimeFamily.NODEJS, { supportsInlineCode: true }),
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs26.x",
      Timeout: 240,
      VpcConfig: { SubnetIds: ["subnet-a", "subnet-b"], SecurityGroupIds: ["sg-hooks"] },
      Environment: {
        Variables: {
          NODE_OPTIONS: "--enable-source-maps",
          HOOKD_STORE: Match.anyValue(),
          HOOKD_AGENT_URL: "http://{ip}:9700",
          HOOKD_AGENT_TOKEN: "{{resolve:secretsmanager:hookd/agent-token:SecretString:::}}",
          HOOKD_ALLOW_HOSTS: "10.0.5.0/24",
          HOOKD_AGENT_HOSTS: "agents.internal",
        },
      },
    });
    template.hasResourceProperties("AWS::IAM::Role", {
      ManagedPolicyArns: Match.arrayWith([
        Match.objectLike({
          "Fn::Join": ["", Match.arrayWith([Match.stringLikeRegexp("AWSLambdaVPCAccessExecutionRole")])],
        }),
      ]),
    });
    template.resourceCountIs("AWS::EC2::SecurityGroup", 0);
  });

  it("has no HOOKD_TOKEN and no URL by default: only the rule invokes it", () => {
    const { template } = synth({ clusterArn: CLUSTER, code: PREBUILT });
    const fn = Object.values(template.findResources("AWS::Lambda::Function"))[0];
    expect(Object.keys(fn?.Properties.Environment.Variables ?? {})).toEqual(["NODE_OPTIONS", "HOOKD_STORE"]);
    template.resourceCountIs("AWS::Lambda::Url", 0);
  });

  it("opens the HTTP routes with HOOKD_TOKEN from a secret, and a Function URL guarded by it", () => {
    const { template } = synth({
      clusterArn: CLUSTER,
      code: PREBUILT,
      tokenSecret: "hookd/token",
      functionUrl: true,
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          HOOKD_TOKEN: "{{resolve:secretsmanager:hookd/token:SecretString:::}}",
        }),
      },
    });
    template.hasResourceProperties("AWS::Lambda::Url", { AuthType: "NONE" });
    template.hasOutput("FunctionUrl", {});
    expect(() => synth({ clusterArn: CLUSTER, code: PREBUILT, functionUrl: true })).toThrow(
      /functionUrl needs tokenSecret/,
    );
  });

  it("creates an egress-only security group when none is given", () => {
    const { template } = synth({
      clusterArn: CLUSTER,
      code: PREBUILT,
      vpc: { vpcId: "vpc-0abc", subnetIds: ["subnet-a"] },
    });
    template.hasResourceProperties("AWS::EC2::SecurityGroup", {
      VpcId: "vpc-0abc",
      SecurityGroupEgress: [{ CidrIp: "0.0.0.0/0", IpProtocol: "-1" }],
    });
    expect(
      template.findResources("AWS::EC2::SecurityGroup", {
        Properties: { SecurityGroupIngress: Match.anyValue() },
      }),
    ).toEqual({});
  });

  it("bundles src/entry/lambda.ts with esbuild into an ESM handler that runs on plain Node", async () => {
    const { app, template } = synth({ clusterArn: CLUSTER });
    const assembly = app.synth();
    const key = JSON.stringify(template.findResources("AWS::Lambda::Function")).match(
      /"([0-9a-f]{64})\.zip"/,
    );
    const bundle = join(assembly.directory, `asset.${key?.[1] ?? "missing"}`, "index.mjs");
    expect(existsSync(bundle), bundle).toBe(true);
    expect(existsSync(`${bundle}.map`)).toBe(true);
    // In a child process, as Lambda loads it: no bundler, no loader, only the bundle.
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", INVOKE_HEALTHZ, bundle], {
      env: { PATH: process.env.PATH ?? "", AWS_REGION: "eu-west-1" },
      timeout: 20_000,
    });
    // The answers are the last line: hookd's log lines come before it.
    const answers = stdout.trimEnd().split("\n").at(-1) ?? "";
    const [healthz, ignored, flushed] = JSON.parse(answers) as [unknown, unknown, unknown];
    expect(healthz).toMatchObject({ statusCode: 200, body: expect.stringContaining('"status":"ok"') });
    // The rule's direct invocation: a raw EventBridge event, no HTTP, no token.
    expect(ignored).toEqual({ ignored: expect.any(String) });
    // The schedule's: the outbox flushed (nothing waits in it here).
    expect(flushed).toEqual({ delivered: 0, retried: 0, dropped: 0 });
  });
});

/**
 * Calls the bundle's handler with a Function URL request for GET /healthz, then with a raw
 * EventBridge event hookd does not handle, then with the flush schedule's event, and prints the answers.
 */
const INVOKE_HEALTHZ = `
const { handler } = await import(process.argv[1]);
const http = { method: "GET", path: "/healthz", protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "test" };
const event = {
  version: "2.0", routeKey: "$default", rawPath: "/healthz", rawQueryString: "", isBase64Encoded: false,
  headers: { host: "hookd.lambda-url.eu-west-1.on.aws" },
  requestContext: { http, domainName: "hookd.lambda-url.eu-west-1.on.aws", requestId: "r1", routeKey: "$default", stage: "$default", timeEpoch: 0 },
};
const ec2 = { version: "0", id: "e1", "detail-type": "EC2 Instance State-change Notification", source: "aws.ec2",
  account: "111122223333", time: "2026-11-27T10:00:00Z", region: "eu-west-1", resources: [], detail: { state: "running" } };
const flush = { hookd: "flush-outbox" };
const answers = [await handler(event, {}), await handler(ec2, {}), await handler(flush, {})];
process.stdout.write(JSON.stringify(answers));
`;
