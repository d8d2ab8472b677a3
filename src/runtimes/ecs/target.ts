import type { HookTarget } from "../../engine/types.ts";
import type { RunSource } from "../../schema/result.ts";
import type { EcsTaskContainer, EcsTaskView } from "./api.ts";
import type { ContainerHooks } from "./discovery.ts";

/**
 * The container's IP: its own network interface (awsvpc, Fargate), else the task's ENI
 * attachment. A container in bridge or host mode has neither: its hooks need httpGet.host.
 */
export function containerIp(task: EcsTaskView, container: EcsTaskContainer): string | undefined {
  for (const ni of container.networkInterfaces ?? []) {
    if (ni.privateIpv4Address) return ni.privateIpv4Address;
  }
  for (const a of task.attachments) {
    if (a.type !== undefined && a.type.toLowerCase() !== "eni") continue;
    const ip = a.details?.find((d) => d.name === "privateIPv4Address")?.value;
    if (ip) return ip;
  }
  return undefined;
}

export function hookTarget(
  task: EcsTaskView,
  container: EcsTaskContainer,
  hooks: ContainerHooks,
): HookTarget {
  return {
    specFrom: "labels",
    id: container.runtimeId,
    name: container.name,
    ip: containerIp(task, container),
    ports: hooks.ports,
    agentUrl: hooks.agentUrl,
  };
}

/** The run's source (contract §7), with the stop's cause where ECS is stopping the task. */
export function hookSource(task: EcsTaskView, container: EcsTaskContainer): RunSource {
  return {
    runtime: "ecs",
    cluster: task.clusterArn,
    task: task.taskArn,
    ...(container.runtimeId !== undefined && { runtimeId: container.runtimeId }),
    ...(task.stopCode !== undefined && { stopCode: task.stopCode }),
  };
}
