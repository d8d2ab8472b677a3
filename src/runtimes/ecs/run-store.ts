import type { Store } from "../../store/port.ts";

/**
 * The claims of what already ran, so that a redelivered event or a second event about the same
 * container start runs nothing twice: the Store's claims (contract §7), shared by every instance
 * on the same store.
 */
export type RunStore = Pick<Store, "claim" | "release">;

/** Stands in for a runtimeId that ECS has not reported (yet): the container is then known by name alone. */
export const UNKNOWN_RUNTIME_ID = "unknown-runtime";

/**
 * The keys hookd claims: one per event, per container start and per container stop. A stop is
 * one container run ending (task, container, runtimeId), whichever of its events — RUNNING with
 * desiredStatus STOPPED, DEACTIVATING, STOPPING — or the graceful stop route gets there first.
 */
export const runKeys = {
  event: (taskArn: string, version: number) => `ecs event ${taskArn} v${version}`,
  postStart: (taskArn: string, container: string, runtimeId: string | undefined) =>
    `ecs postStart ${taskArn} ${container} ${runtimeId ?? UNKNOWN_RUNTIME_ID}`,
  containerStop: (taskArn: string, container: string, runtimeId: string | undefined) =>
    `ecs stop ${taskArn} ${container} ${runtimeId ?? UNKNOWN_RUNTIME_ID}`,
};
