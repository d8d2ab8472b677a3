import { DEFAULT_GRACE_SECONDS } from "../../engine/policy.ts";
import { describeIssues } from "../../schema/issues.ts";
import {
  gracePeriodFromLabels,
  LABEL,
  labelWarnings,
  lifecycleFromLabels,
  namedPortsFromLabels,
} from "../../schema/labels.ts";
import type { Lifecycle, NamedPorts } from "../../schema/lifecycle.ts";
import { LruMap } from "../lru.ts";
import type { EcsApi, EcsContainerDefinition, EcsTaskDefinition } from "./api.ts";

/** The hooks of one container definition, read from its dockerLabels. */
export interface ContainerHooks {
  name: string;
  lifecycle: Lifecycle;
  /** portMappings[].name, then the hookd.ports label (which wins on a clash). */
  ports: NamedPorts;
  agentUrl: string | undefined;
  /** The grace period: the grace label, else stopTimeout (ECS's own SIGTERM-to-SIGKILL time), else 30. */
  graceSeconds: number;
  /** Bad labels that were ignored (a grace period): in every result of this container. */
  warnings: string[];
}

export interface TaskHooks {
  taskDefinitionArn: string;
  containers: Map<string, ContainerHooks>;
  /** Containers whose hookd labels are invalid: they get no hooks, and the answer says why. */
  problems: Array<{ container: string; message: string }>;
}

/** Reads every container's hooks from a task definition: a revision never changes, so this is cached. */
export function discoverEcsHooks(def: EcsTaskDefinition): TaskHooks {
  const containers = new Map<string, ContainerHooks>();
  const problems: TaskHooks["problems"] = [];
  for (const c of def.containers) {
    const read = containerHooks(c);
    if (read === undefined) continue;
    if ("problem" in read) problems.push({ container: c.name, message: read.problem });
    else containers.set(c.name, read);
  }
  return { taskDefinitionArn: def.arn, containers, problems };
}

function containerHooks(c: EcsContainerDefinition): ContainerHooks | { problem: string } | undefined {
  const labels = c.dockerLabels;
  const lifecycle = lifecycleFromLabels(labels);
  if (lifecycle === undefined) return undefined;
  const where = `container definition "${c.name}" dockerLabels`;
  if (!lifecycle.ok) return { problem: `${where}: ${describeIssues(lifecycle.issues)}` };
  const ports = namedPortsFromLabels(labels);
  if (!ports.ok) return { problem: `${where}: ${describeIssues(ports.issues)}` };
  const grace = gracePeriodFromLabels(labels);
  const mapped: NamedPorts = {};
  for (const p of c.portMappings) {
    if (p.name && p.containerPort !== undefined) mapped[p.name] = p.containerPort;
  }
  return {
    name: c.name,
    lifecycle: lifecycle.value,
    ports: { ...mapped, ...ports.value },
    agentUrl: labels[LABEL.agentUrl],
    graceSeconds: (grace.ok ? grace.value : undefined) ?? c.stopTimeout ?? DEFAULT_GRACE_SECONDS,
    warnings: labelWarnings(labels, "ecs"),
  };
}

export interface TaskDefinitionCache {
  /** The hooks of a task definition revision: one DescribeTaskDefinition per ARN, shared by concurrent callers. */
  hooksOf(api: EcsApi, taskDefinitionArn: string): Promise<TaskHooks>;
}

export const DEFAULT_TASK_DEFINITION_CACHE_SIZE = 500;

export function createTaskDefinitionCache(
  capacity = DEFAULT_TASK_DEFINITION_CACHE_SIZE,
): TaskDefinitionCache {
  const known = new LruMap<string, TaskHooks>(capacity);
  const inFlight = new Map<string, Promise<TaskHooks>>();
  return {
    hooksOf(api, arn) {
      const hit = known.get(arn);
      if (hit) return Promise.resolve(hit);
      const pending = inFlight.get(arn);
      if (pending) return pending;
      // A failure is not cached: the next event of this revision asks ECS again.
      const lookup = api
        .describeTaskDefinition(arn)
        .then((def) => {
          const hooks = discoverEcsHooks(def);
          known.set(arn, hooks);
          return hooks;
        })
        .finally(() => inFlight.delete(arn));
      inFlight.set(arn, lookup);
      return lookup;
    },
  };
}
