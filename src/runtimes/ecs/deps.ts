import type { EcsApiFor } from "./api.ts";
import { createTaskDefinitionCache, type TaskDefinitionCache } from "./discovery.ts";
import { createMemoryRunStore, type RunStore } from "./run-store.ts";

/** What the ECS adapter needs from its runtime: the ECS API, the cache of task definitions, the run store. */
export interface EcsDeps {
  apiFor: EcsApiFor;
  taskDefinitions: TaskDefinitionCache;
  runs: RunStore;
}

export function createEcsDeps(options: { apiFor: EcsApiFor; runs?: RunStore | undefined }): EcsDeps {
  return {
    apiFor: options.apiFor,
    taskDefinitions: createTaskDefinitionCache(),
    runs: options.runs ?? createMemoryRunStore(),
  };
}
