/**
 * What hookd needs of the ECS API, in hookd's terms. The implementation (aws-api.ts) speaks to
 * ECS through @aws-sdk/client-ecs; tests point that same SDK at a fake endpoint.
 */

export interface EcsContainerDefinition {
  name: string;
  dockerLabels: Record<string, string>;
  portMappings: Array<{ name?: string | undefined; containerPort?: number | undefined }>;
  stopTimeout?: number | undefined;
}

export interface EcsTaskDefinition {
  arn: string;
  containers: EcsContainerDefinition[];
}

/** A task as an event shows it, or as DescribeTasks answers. */
export interface EcsTaskView {
  taskArn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  lastStatus: string;
  desiredStatus: string;
  containers: EcsTaskContainer[];
  attachments: EcsAttachment[];
  /** Why ECS stops the task (ServiceSchedulerInitiated, SpotInterruption, UserInitiated…), once it does. */
  stopCode?: string | undefined;
}

export interface EcsTaskContainer {
  name: string;
  lastStatus?: string | undefined;
  runtimeId?: string | undefined;
  networkInterfaces?: Array<{ privateIpv4Address?: string | undefined }> | undefined;
}

export interface EcsAttachment {
  type?: string | undefined;
  details?: Array<{ name?: string | undefined; value?: string | undefined }> | undefined;
}

/**
 * Every call ends within its own budget (all attempts together), and sooner when `signal` (the
 * work's deadline) aborts: then it throws an EcsCallError with `timedOut` set.
 */
export interface EcsApi {
  describeTaskDefinition(arn: string, signal?: AbortSignal): Promise<EcsTaskDefinition>;
  /** The task, or undefined when ECS does not know it. */
  describeTask(cluster: string, task: string, signal?: AbortSignal): Promise<EcsTaskView | undefined>;
  stopTask(cluster: string, task: string, reason: string, signal?: AbortSignal): Promise<void>;
}

/** The ECS API of a region (task ARNs carry theirs); undefined: the configured default region. */
export type EcsApiFor = (region: string | undefined) => EcsApi;

/** A failed ECS call, after the SDK's retries: what was called, on what, and what ECS said. */
export class EcsCallError extends Error {
  override name = "EcsCallError";
  readonly operation: string;
  readonly subject: string;
  readonly code: string;
  readonly attempts: number | undefined;
  /** ECS did not answer in time (an attempt's timeout, or the call's budget): a 504, not a 502. */
  readonly timedOut: boolean;

  constructor(
    operation: string,
    subject: string,
    code: string,
    message: string,
    attempts: number | undefined,
    timedOut = false,
  ) {
    super(
      `ECS ${operation} ${subject}: ${code}: ${message}${attempts && attempts > 1 ? ` (after ${attempts} attempts)` : ""}`,
    );
    this.operation = operation;
    this.subject = subject;
    this.code = code;
    this.attempts = attempts;
    this.timedOut = timedOut;
  }
}

/** `arn:aws:ecs:us-west-2:111122223333:task/…` → `us-west-2`. */
export function regionOfArn(arn: string | undefined): string | undefined {
  const m = arn ? /^arn:aws[a-z-]*:ecs:([a-z0-9-]+):/.exec(arn) : null;
  return m?.[1];
}
