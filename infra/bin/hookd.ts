import { App, Duration, aws_lambda as lambda } from "aws-cdk-lib";
import { HookdApiDestinationStack } from "../lib/api-destination-stack.ts";
import { HookdLambdaStack } from "../lib/lambda-stack.ts";
import { contextList, contextString } from "../lib/settings.ts";

// The hookd CDK app. Settings come from the context (`cdk synth -c clusterArn=arn:…`); what is
// missing becomes a CloudFormation parameter. No lookups: synth runs offline, without credentials.
//   shape            api-destination | lambda | both (default both)
//   clusterArn       the ECS cluster (both shapes); "*" = every cluster (API destination only)
//   hookdUrl         hookd's HTTPS base URL (API destination)
//   tokenSecret      name or ARN of the secret holding HOOKD_TOKEN (API destination: default created;
//                    Lambda: optional, opens the HTTP routes such as POST /v1/ecs/tasks/stop)
//   functionUrl      true: a public Function URL guarded by HOOKD_TOKEN (Lambda; needs tokenSecret)
//   vpcId, subnetIds, securityGroupIds   where the Lambda function runs (comma-separated lists)
//   agentUrl, agentTokenSecret           HOOKD_AGENT_URL and the secret holding HOOKD_AGENT_TOKEN (Lambda)
//   allowHosts, agentHosts               HOOKD_ALLOW_HOSTS and HOOKD_AGENT_HOSTS (Lambda)
//   timeoutSeconds   the Lambda function's timeout (default 300)
//   lambdaRuntime    a Node.js Lambda runtime of Node 24 or newer (default nodejs24.x)
const app = new App();
const ctx = (name: string) => contextString(app.node, name);
const shape = ctx("shape") ?? "both";
if (!["api-destination", "lambda", "both"].includes(shape)) {
  throw new Error(`context shape="${shape}": expected api-destination, lambda or both`);
}
const account = ctx("account") ?? process.env.CDK_DEFAULT_ACCOUNT;
const region = ctx("region") ?? process.env.CDK_DEFAULT_REGION;
// Without an account and region the stacks stay environment-agnostic (deployable anywhere).
const env = account !== undefined && region !== undefined ? { env: { account, region } } : {};
const clusterArn = ctx("clusterArn");

const tokenSecret = ctx("tokenSecret");

if (shape !== "lambda") {
  const hookdUrl = ctx("hookdUrl");
  new HookdApiDestinationStack(app, "HookdEcsApiDestination", {
    ...env,
    description: "hookd: ECS task state changes to a hookd service through an EventBridge API destination",
    ...(clusterArn === undefined ? {} : { clusterArn }),
    ...(hookdUrl === undefined ? {} : { hookdUrl }),
    ...(tokenSecret === undefined ? {} : { tokenSecret }),
  });
}

if (shape !== "api-destination") {
  const vpcId = ctx("vpcId");
  const subnetIds = contextList(app.node, "subnetIds");
  const securityGroupIds = contextList(app.node, "securityGroupIds");
  if ((vpcId === undefined) !== (subnetIds === undefined)) {
    throw new Error("context vpcId and subnetIds go together: give both, or neither");
  }
  const agentUrl = ctx("agentUrl");
  const agentTokenSecret = ctx("agentTokenSecret");
  const allowHosts = ctx("allowHosts");
  const agentHosts = ctx("agentHosts");
  const timeoutSeconds = ctx("timeoutSeconds");
  if (timeoutSeconds !== undefined && !/^[1-9][0-9]*$/.test(timeoutSeconds)) {
    throw new Error(`context timeoutSeconds="${timeoutSeconds}": expected whole seconds, 1 to 900`);
  }
  const lambdaRuntime = ctx("lambdaRuntime");
  // The bundle targets Node 24 syntax, and hookd's engines field asks for Node 24 or newer.
  const runtimeMajor = /^nodejs([0-9]+)\.x$/.exec(lambdaRuntime ?? "")?.[1];
  if (lambdaRuntime !== undefined && (runtimeMajor === undefined || Number(runtimeMajor) < 24)) {
    throw new Error(
      `context lambdaRuntime="${lambdaRuntime}": expected a Node.js runtime of Node 24 or newer, such as nodejs24.x`,
    );
  }
  new HookdLambdaStack(app, "HookdEcsLambda", {
    ...env,
    description: "hookd: ECS task state changes to the hookd Lambda function",
    ...(clusterArn === undefined || clusterArn === "*" ? {} : { clusterArn }),
    ...(vpcId === undefined || subnetIds === undefined
      ? {}
      : { vpc: { vpcId, subnetIds, ...(securityGroupIds === undefined ? {} : { securityGroupIds }) } }),
    ...(agentUrl === undefined ? {} : { agentUrl }),
    ...(agentTokenSecret === undefined ? {} : { agentTokenSecret }),
    ...(allowHosts === undefined ? {} : { allowHosts }),
    ...(agentHosts === undefined ? {} : { agentHosts }),
    ...(tokenSecret === undefined ? {} : { tokenSecret }),
    ...(ctx("functionUrl") === "true" ? { functionUrl: true } : {}),
    ...(timeoutSeconds === undefined ? {} : { timeout: Duration.seconds(Number(timeoutSeconds)) }),
    ...(lambdaRuntime === undefined
      ? {}
      : {
          runtime: new lambda.Runtime(lambdaRuntime, lambda.RuntimeFamily.NODEJS, {
            supportsInlineCode: true,
          }),
        }),
  });
}
