import type { HookResult } from "../../schema/result.ts";
import {
  apiForTask,
  deadlineSignal,
  type EcsAction,
  type EcsRunContext,
  runPreStops,
  stopReason,
  stopTask,
} from "./consequences.ts";

export const DEFAULT_STOP_REASON = "hookd: stopped after its preStop hooks";

export type GracefulStopOutcome =
  | { found: true; results: HookResult[]; actions: EcsAction[] }
  | { found: false; message: string };

/**
 * The graceful path for deploy scripts: every preStop of the task in parallel, each within its
 * grace period, then StopTask, so that preStop runs before ECS sends SIGTERM.
 * Throws an EcsCallError when DescribeTasks or DescribeTaskDefinition fail (nothing ran then).
 */
export async function stopTaskGracefully(
  ctx: EcsRunContext,
  request: { cluster: string; task: string; reason?: string | undefined },
): Promise<GracefulStopOutcome> {
  const api = apiForTask(ctx.ecs, { taskArn: request.task, clusterArn: request.cluster });
  const task = await api.describeTask(request.cluster, request.task, deadlineSignal(ctx));
  if (!task) {
    return { found: false, message: `ECS does not know task ${request.task} in cluster ${request.cluster}` };
  }
  const hooks = await ctx.ecs.taskDefinitions.hooksOf(api, task.taskDefinitionArn);
  const results = await runPreStops(ctx, task, hooks, true);
  const action = await stopTask(ctx, task, stopReason(request.reason ?? DEFAULT_STOP_REASON));
  return { found: true, results, actions: [action] };
}
