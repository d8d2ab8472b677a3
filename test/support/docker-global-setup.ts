import type { TestProject } from "vitest/node";
import { testDockerEngine } from "./docker-engine.ts";

declare module "vitest" {
  export interface ProvidedContext {
    docker: { host: string } | { unavailable: string };
  }
}

/**
 * Brings up a Docker engine for the tests: DOCKER_HOST if it answers, else a private dockerd
 * started by scripts/test-docker.sh (as root, with docker.io and busybox-static installed).
 * Docker tests fail under CI=true when this could not be done (see test/support/docker.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let started = false;
  try {
    const host = await testDockerEngine("start");
    process.env.DOCKER_HOST = host;
    project.provide("docker", { host });
    started = !process.env.HOOKD_KEEP_TEST_DOCKER;
  } catch (err) {
    const why = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
    project.provide("docker", { unavailable: why });
  }
  return async () => {
    if (started && process.env.HOOKD_STOP_TEST_DOCKER) await testDockerEngine("stop").catch(() => undefined);
  };
}
