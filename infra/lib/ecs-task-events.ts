import { CfnOutput, Duration, aws_events as events, Stack, aws_sqs as sqs } from "aws-cdk-lib";
import { Construct } from "constructs";

/**
 * How long an undelivered event is retried before it goes to the dead-letter queue. Not
 * EventBridge's 24 h: a late event describes a task as it was (its IP may be another's now).
 */
export const DEFAULT_MAX_EVENT_AGE = Duration.minutes(30);

/** The event hookd reads (contract §3, `POST /v1/events/ecs`). */
const ECS_TASK_STATE_CHANGE = "ECS Task State Change";

export interface EcsTaskEventsProps {
  /** Only this cluster's task events; every cluster of the account and region when absent. */
  readonly clusterArn?: string;
  readonly description?: string;
}

/**
 * The EventBridge rule that feeds hookd, and the dead-letter queue that keeps what could not be
 * delivered. hookd itself ignores the events it has nothing to do for (PENDING, PROVISIONING…),
 * so the pattern filters on the cluster only: a narrower pattern would risk dropping a container
 * that reaches RUNNING while its task is still PENDING.
 */
export class EcsTaskEvents extends Construct {
  readonly rule: events.Rule;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: EcsTaskEventsProps = {}) {
    super(scope, id);
    this.rule = new events.Rule(this, "Rule", {
      description: props.description ?? "ECS task state changes, to hookd",
      eventPattern: {
        source: ["aws.ecs"],
        detailType: [ECS_TASK_STATE_CHANGE],
        ...(props.clusterArn === undefined ? {} : { detail: { clusterArn: [props.clusterArn] } }),
      },
    });
    // SQS keeps a message 14 days at most: long enough to notice, inspect and redrive by hand.
    this.deadLetterQueue = new sqs.Queue(this, "DeadLetterQueue", {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    new CfnOutput(Stack.of(this), "DeadLetterQueueUrl", { value: this.deadLetterQueue.queueUrl });
  }

  /** The rule target's delivery settings: this dead-letter queue, the event age, the retries. */
  targetOptions(retryAttempts: number, maxEventAge: Duration = DEFAULT_MAX_EVENT_AGE) {
    return { deadLetterQueue: this.deadLetterQueue, maxEventAge, retryAttempts };
  }
}
