import {
  CfnOutput,
  type Duration,
  aws_events as events,
  Fn,
  SecretValue,
  Stack,
  type StackProps,
  aws_secretsmanager as secretsmanager,
  Token,
  aws_events_targets as targets,
} from "aws-cdk-lib";
import type { Construct } from "constructs";
import { EcsTaskEvents } from "./ecs-task-events.ts";
import { CLUSTER_ARN, HOOKD_URL, valueOrParameter } from "./settings.ts";

/** The route an API destination posts ECS events to (contract §3). */
const ECS_EVENTS_PATH = "/v1/events/ecs";

export interface HookdApiDestinationStackProps extends StackProps {
  /**
   * hookd's base URL, HTTPS (API destinations refuse plain HTTP), e.g. `https://hookd.example.workers.dev`.
   * Absent: the CloudFormation parameter `HookdUrl`.
   */
  readonly hookdUrl?: string;
  /**
   * Only this cluster's task events; absent: the CloudFormation parameter `ClusterArn`;
   * `"*"`: every cluster of the account and region.
   */
  readonly clusterArn?: string;
  /**
   * Name or ARN of an existing Secrets Manager secret whose plain-text value is hookd's
   * HOOKD_TOKEN. Absent: the stack creates one with a random token (output `TokenSecretArn`).
   */
  readonly tokenSecret?: string;
  /** Invocations per second the API destination may send (default 20). */
  readonly rateLimitPerSecond?: number;
  /** Age after which an undelivered event goes to the dead-letter queue (default 30 minutes). */
  readonly maxEventAge?: Duration;
  /** Retries of an event hookd did not accept, 401/429/5xx or timeout (default 20). */
  readonly retryAttempts?: number;
}

/**
 * Shape (a): EventBridge rule → API destination → a hookd service reachable over HTTPS (Workers,
 * or Node behind a load balancer). hookd answers 202 within a second and runs the hooks in the
 * background, under the API destination's 5-second timeout.
 */
export class HookdApiDestinationStack extends Stack {
  readonly taskEvents: EcsTaskEvents;
  readonly connection: events.Connection;
  readonly apiDestination: events.ApiDestination;

  constructor(scope: Construct, id: string, props: HookdApiDestinationStackProps) {
    super(scope, id, props);
    const clusterArn =
      props.clusterArn === "*" ? undefined : valueOrParameter(this, CLUSTER_ARN, props.clusterArn);
    // A dynamic reference by name or ARN: CloudFormation resolves it at deploy time, synth sees no value.
    const token =
      props.tokenSecret === undefined
        ? this.createTokenSecret()
        : SecretValue.secretsManager(props.tokenSecret);
    // EventBridge copies the value into the connection's own secret when the stack deploys:
    // after rotating HOOKD_TOKEN, redeploy (or accept both tokens, HOOKD_TOKEN="new,old", meanwhile).
    const bearer = Fn.join("", ["Bearer ", token.unsafeUnwrap()]);
    this.connection = new events.Connection(this, "Connection", {
      description: "hookd bearer token",
      authorization: events.Authorization.apiKey("Authorization", SecretValue.unsafePlainText(bearer)),
    });
    this.apiDestination = new events.ApiDestination(this, "ApiDestination", {
      description: "hookd's ECS event route",
      connection: this.connection,
      endpoint: ecsEventsEndpoint(props.hookdUrl ?? valueOrParameter(this, HOOKD_URL, undefined)),
      httpMethod: events.HttpMethod.POST,
      rateLimitPerSecond: props.rateLimitPerSecond ?? 20,
    });
    this.taskEvents = new EcsTaskEvents(this, "TaskEvents", {
      ...(clusterArn === undefined ? {} : { clusterArn }),
      description: "ECS task state changes, to hookd's API destination",
    });
    this.taskEvents.rule.addTarget(
      // The assertion only bridges a jsii typing quirk under exactOptionalPropertyTypes.
      new targets.ApiDestination(
        this.apiDestination as events.IApiDestination,
        this.taskEvents.targetOptions(props.retryAttempts ?? 20, props.maxEventAge),
      ),
    );
    new CfnOutput(this, "ApiDestinationArn", { value: this.apiDestination.apiDestinationArn });
  }

  /** A random token; its ARN is an output, to read the value and give it to hookd as HOOKD_TOKEN. */
  private createTokenSecret(): SecretValue {
    const secret = new secretsmanager.Secret(this, "TokenSecret", {
      description: "hookd's HOOKD_TOKEN: the bearer token the API destination sends",
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    new CfnOutput(this, "TokenSecretArn", { value: secret.secretArn });
    return secret.secretValue;
  }
}

/** `https://host[/base]` + `/v1/events/ecs`; a literal URL is checked here rather than at deploy time. */
function ecsEventsEndpoint(hookdUrl: string): string {
  if (Token.isUnresolved(hookdUrl)) return Fn.join("", [hookdUrl, ECS_EVENTS_PATH]);
  let url: URL;
  try {
    url = new URL(hookdUrl);
  } catch {
    throw new Error(`hookdUrl "${hookdUrl}" is not a URL: expected e.g. https://hookd.example.workers.dev`);
  }
  if (url.protocol !== "https:") {
    throw new Error(`hookdUrl "${hookdUrl}": EventBridge API destinations only call HTTPS endpoints`);
  }
  if (url.search !== "" || url.hash !== "") {
    throw new Error(`hookdUrl "${hookdUrl}": give the base URL, without query or fragment`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}${ECS_EVENTS_PATH}`;
}
