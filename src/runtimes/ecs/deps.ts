import type { EcsApiFor } from "./api.ts";
import { createTaskDefinitionCache, type TaskDefinitionCache } from "./discovery.ts";
import type { RunStore } from "./run-store.ts";

/** What the ECS adapter needs from its runtime: the ECS API, the cache of task definitions, the claims. */
export interface EcsDeps {
  apiFor: EcsApiFor;
  taskDefinitions: TaskDefinitionCache;
  runs: RunStore;
}

export function createEcsDeps(options: { apiFor: EcsApiFor; runs: RunStore }): EcsDeps {
  return {
    apiFor: options.apiFor,
    taskDefinitions: createTaskDefinitionCache(),
    runs: options.runs,
  };
}
