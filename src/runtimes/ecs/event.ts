import { z } from "zod";
import type { EcsTaskView } from "./api.ts";

/**
 * The EventBridge `ECS Task State Change` event. AWS adds fields over time: unknown keys pass
 * (looseObject); the fields hookd acts on are checked strictly.
 */

export const TASK_STATE_CHANGE = "ECS Task State Change";
export const ECS_SOURCE = "aws.ecs";

const ecsArn = (kind: string) =>
  z
    .string()
    .regex(new RegExp(`^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\\d+:${kind}/\\S+$`), `expected an ECS ${kind} ARN`);

const EventContainerSchema = z.looseObject({
  name: z.string().min(1),
  lastStatus: z.string().min(1),
  runtimeId: z.string().min(1).optional(),
  networkInterfaces: z.array(z.looseObject({ privateIpv4Address: z.string().min(1).optional() })).optional(),
});

const AttachmentSchema = z.looseObject({
  type: z.string().optional(),
  details: z.array(z.looseObject({ name: z.string(), value: z.string() })).optional(),
});

export const TaskStateChangeDetailSchema = z.looseObject({
  taskArn: ecsArn("task"),
  clusterArn: ecsArn("cluster"),
  taskDefinitionArn: ecsArn("task-definition"),
  lastStatus: z.string().min(1),
  desiredStatus: z.string().min(1),
  version: z.number().int().min(0),
  containers: z.array(EventContainerSchema),
  attachments: z.array(AttachmentSchema).optional(),
  stopCode: z.string().min(1).optional(),
});

const EnvelopeSchema = z.looseObject({
  "detail-type": z.string().min(1),
  source: z.string().min(1),
  region: z.string().optional(),
  detail: z.unknown(),
});

export const TaskStateChangeEventSchema = EnvelopeSchema.extend({ detail: TaskStateChangeDetailSchema });
export type TaskStateChangeEvent = z.infer<typeof TaskStateChangeEventSchema>;

export type ReadEvent =
  | { kind: "taskStateChange"; event: TaskStateChangeEvent; task: EcsTaskView; version: number }
  | { kind: "ignored"; why: string }
  | { kind: "invalid"; error: z.ZodError };

/** Sorts an incoming EventBridge event: one hookd acts on, one it ignores (and why), or a bad one. */
export function readEcsEvent(value: unknown): ReadEvent {
  const envelope = EnvelopeSchema.safeParse(value);
  if (!envelope.success) return { kind: "invalid", error: envelope.error };
  const type = envelope.data["detail-type"];
  const source = envelope.data.source;
  if (source !== ECS_SOURCE) return { kind: "ignored", why: `source "${source}" is not ${ECS_SOURCE}` };
  if (type !== TASK_STATE_CHANGE) {
    return { kind: "ignored", why: `detail-type "${type}": hookd acts on "${TASK_STATE_CHANGE}" only` };
  }
  const parsed = TaskStateChangeEventSchema.safeParse(value);
  if (!parsed.success) return { kind: "invalid", error: parsed.error };
  const d = parsed.data.detail;
  return {
    kind: "taskStateChange",
    event: parsed.data,
    version: d.version,
    task: {
      taskArn: d.taskArn,
      clusterArn: d.clusterArn,
      taskDefinitionArn: d.taskDefinitionArn,
      lastStatus: d.lastStatus,
      desiredStatus: d.desiredStatus,
      containers: d.containers,
      attachments: d.attachments ?? [],
      stopCode: d.stopCode,
    },
  };
}
