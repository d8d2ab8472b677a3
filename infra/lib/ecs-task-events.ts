import { Duration, aws_events as events, aws_sqs as sqs } from "aws-cdk-lib";
import { Construct } from "constructs";

/** The event hookd reads (contract §3, `POST /v1/events/ecs`). */
export const ECS_TASK_STATE_CHANGE = "ECS Task State Change";

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
  }
}
