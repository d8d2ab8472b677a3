import {
  CfnOutput,
  Duration,
  aws_dynamodb as dynamodb,
  aws_ec2 as ec2,
  aws_events as events,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  RemovalPolicy,
  SecretValue,
  Stack,
  type StackProps,
  aws_events_targets as targets,
} from "aws-cdk-lib";
import type { Construct } from "constructs";
import { DEFAULT_MAX_EVENT_AGE, EcsTaskEvents } from "./ecs-task-events.ts";
import { ecsTaskPolicyStatements } from "./ecs-task-permissions.ts";
import { bundleLambdaEntry, LAMBDA_HANDLER } from "./lambda-bundle.ts";
import { CLUSTER_ARN, valueOrParameter } from "./settings.ts";

/** Subnets and security groups of the tasks' VPC: hooks call the tasks' private IPs. */
export interface HookdVpcPlacement {
  readonly vpcId: string;
  /** Private subnets with a route to the ECS API (NAT gateway or an `ecs` interface endpoint). */
  readonly subnetIds: string[];
  /** Security groups the tasks admit on their hook and agent ports; absent: a new one, egress only. */
  readonly securityGroupIds?: string[];
}

export interface HookdLambdaStackProps extends StackProps {
  /**
   * The cluster whose task events run hooks; the function may describe and stop its tasks only.
   * Absent: the CloudFormation parameter `ClusterArn`.
   */
  readonly clusterArn?: string;
  /** Where the function runs; without it, it can reach only public addresses (and no task IP). */
  readonly vpc?: HookdVpcPlacement;
  /** HOOKD_AGENT_URL for exec handlers, e.g. `http://{ip}:9700`. */
  readonly agentUrl?: string;
  /**
   * HOOKD_ALLOW_HOSTS and HOOKD_AGENT_HOSTS: host names and CIDRs (comma-separated) that a task
   * definition's labels may aim hooks at besides the task's own IP. Each opens a door to every
   * task definition writer: GETs from inside the VPC, and the agent token (docs/ecs.md).
   */
  readonly allowHosts?: string;
  readonly agentHosts?: string;
  /** Name or ARN of a Secrets Manager secret holding HOOKD_AGENT_TOKEN. */
  readonly agentTokenSecret?: string;
  /**
   * Name or ARN of a secret holding HOOKD_TOKEN. The rule's direct invocations need none; it
   * opens the HTTP routes (POST /v1/ecs/tasks/stop) to `aws lambda invoke` and the Function URL.
   */
  readonly tokenSecret?: string;
  /** A public Function URL (auth NONE: HOOKD_TOKEN is its guard, so tokenSecret is required). */
  readonly functionUrl?: boolean;
  /**
   * Longest run of one event (default 5 minutes): a failed postStart (its timeoutSeconds), then
   * preStop within stopTimeout (at most 120 s on ECS), then StopTask.
   */
  readonly timeout?: Duration;
  /**
   * Default Node.js 24, the version hookd is tested on (and needs: it is the oldest that
   * hookd's engines field allows).
   */
  readonly runtime?: lambda.Runtime;
  /** Pre-built code whose handler is `index.handler`; default: the entry bundled by esbuild at synth. */
  readonly code?: lambda.Code;
  /** Age after which an event that failed goes to the dead-letter queue (default 30 minutes). */
  readonly maxEventAge?: Duration;
}

/**
 * Shape (b): EventBridge rule → the hookd Lambda function, invoked directly with the raw event.
 * The function finishes the hooks before it returns. No HOOKD_TOKEN: only the rule may invoke it
 * (IAM resource policy), and no HTTP route is exposed. Add a Function URL, and HOOKD_TOKEN must be set.
 */
export class HookdLambdaStack extends Stack {
  readonly taskEvents: EcsTaskEvents;
  readonly function: lambda.Function;
  /** HOOKD_STORE: claims, runs and the results outbox, shared by every invocation. */
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: HookdLambdaStackProps) {
    super(scope, id, props);
    const clusterArn = valueOrParameter(this, CLUSTER_ARN, props.clusterArn);
    this.taskEvents = new EcsTaskEvents(this, "TaskEvents", {
      clusterArn,
      description: "ECS task state changes, to the hookd Lambda function",
    });
    const maxEventAge = props.maxEventAge ?? DEFAULT_MAX_EVENT_AGE;
    const logGroup = new logs.LogGroup(this, "Logs", { retention: logs.RetentionDays.ONE_MONTH });
    this.table = this.storeTable();
    this.function = new lambda.Function(this, "Function", {
      description: "hookd: lifecycle hooks for ECS tasks",
      runtime: props.runtime ?? lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: LAMBDA_HANDLER,
      code: props.code ?? bundleLambdaEntry(),
      memorySize: 512,
      timeout: props.timeout ?? Duration.minutes(5),
      environment: this.functionEnvironment(props),
      logGroup,
      // An invocation that throws (an ECS API error) is retried twice, then kept in the queue.
      deadLetterQueue: this.taskEvents.deadLetterQueue,
      retryAttempts: 2,
      maxEventAge,
      ...this.placement(props.vpc),
    });
    for (const statement of ecsTaskPolicyStatements(this, clusterArn)) {
      this.function.addToRolePolicy(statement);
    }
    this.function.addToRolePolicy(this.storeStatement());
    this.flushSchedule();
    // These retries cover delivery to Lambda (throttling, service errors), not the function's errors.
    this.taskEvents.rule.addTarget(
      new targets.LambdaFunction(this.function, this.taskEvents.targetOptions(4, maxEventAge)),
    );
    if (props.functionUrl === true) {
      if (props.tokenSecret === undefined) {
        throw new Error("functionUrl needs tokenSecret: without HOOKD_TOKEN the function refuses /v1");
      }
      // Not AWS_IAM: SigV4 would take the Authorization header that carries hookd's bearer token.
      const url = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
      new CfnOutput(this, "FunctionUrl", { value: url.url });
    }
    new CfnOutput(this, "FunctionName", { value: this.function.functionName });
    new CfnOutput(this, "TableName", { value: this.table.tableName });
    new CfnOutput(this, "LogGroupName", { value: logGroup.logGroupName });
  }

  private functionEnvironment(props: HookdLambdaStackProps): Record<string, string> {
    const env: Record<string, string> = {
      NODE_OPTIONS: "--enable-source-maps",
      HOOKD_STORE: `dynamodb:${this.table.tableName}`,
    };
    if (props.agentUrl !== undefined) env.HOOKD_AGENT_URL = props.agentUrl;
    if (props.allowHosts !== undefined) env.HOOKD_ALLOW_HOSTS = props.allowHosts;
    if (props.agentHosts !== undefined) env.HOOKD_AGENT_HOSTS = props.agentHosts;
    // Dynamic references, resolved by CloudFormation at deploy time: the values are visible to
    // whoever may read the function's configuration (lambda:GetFunctionConfiguration).
    if (props.agentTokenSecret !== undefined) {
      env.HOOKD_AGENT_TOKEN = SecretValue.secretsManager(props.agentTokenSecret).unsafeUnwrap();
    }
    if (props.tokenSecret !== undefined) {
      env.HOOKD_TOKEN = SecretValue.secretsManager(props.tokenSecret).unsafeUnwrap();
    }
    return env;
  }

  /**
   * The store's table (src/store/dynamodb.ts): string keys pk and sk, on-demand, TTL on
   * expiresAt, point-in-time recovery (35 days). Kept when the stack is deleted: it holds the
   * run history.
   */
  private storeTable(): dynamodb.Table {
    return new dynamodb.Table(this, "Store", {
      partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
      sortKey: { name: "sk", type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: "expiresAt",
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }

  /** The calls the store makes, on its table only: no Scan, no CreateTable, no other table. */
  private storeStatement(): iam.PolicyStatement {
    return new iam.PolicyStatement({
      sid: "HookdStoreTable",
      actions: [
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:Query",
      ],
      resources: [this.table.tableArn],
    });
  }

  /**
   * Every minute, `{"hookd":"flush-outbox"}`: a Lambda function has no timer between
   * invocations, so results whose delivery failed are retried from here (contract §7).
   */
  private flushSchedule(): void {
    const rule = new events.Rule(this, "FlushOutbox", {
      description: "hookd: deliver the results waiting in the outbox",
      schedule: events.Schedule.rate(Duration.minutes(1)),
    });
    // A missed minute is made up by the next one: no retries, nothing to the dead-letter queue.
    rule.addTarget(
      new targets.LambdaFunction(this.function, {
        event: events.RuleTargetInput.fromObject({ hookd: "flush-outbox" }),
        retryAttempts: 0,
        maxEventAge: Duration.minutes(1),
      }),
    );
  }

  private placement(vpc: HookdVpcPlacement | undefined): Partial<lambda.FunctionProps> {
    if (vpc === undefined) return {};
    // Attributes rather than Vpc.fromLookup: synth stays offline and needs no AWS credentials.
    const subnets = vpc.subnetIds.map((id, i) => ec2.Subnet.fromSubnetId(this, `Subnet${i}`, id));
    // The zones are unknown offline and unused (the subnets are selected by ID below), but the
    // import wants one per subnet: placeholders that never reach the template.
    const imported = ec2.Vpc.fromVpcAttributes(this, "Vpc", {
      vpcId: vpc.vpcId,
      availabilityZones: vpc.subnetIds.map((id) => `zone-of-${id}`),
      privateSubnetIds: vpc.subnetIds,
    });
    const securityGroups = vpc.securityGroupIds?.map((id, i) =>
      ec2.SecurityGroup.fromSecurityGroupId(this, `SecurityGroup${i}`, id),
    );
    return {
      vpc: imported,
      vpcSubnets: { subnets },
      ...(securityGroups === undefined ? {} : { securityGroups }),
    };
  }
}
