import type { TestProject } from "vitest/node";
import { startTestEngine, stopTestEngine } from "./docker-engine.ts";

declare module "vitest" {
  export interface ProvidedContext {
    docker: { host: string } | { unavailable: string };
  }
}

/**
 * Brings up a Docker engine for the tests: DOCKER_HOST if it answers, else a private dockerd in a
 * directory of this run's own (HOOKD_TEST_DOCKER_DIR to choose it), started by
 * scripts/test-docker.sh (as root, with docker.io and busybox-static installed). An engine this
 * run started is stopped at the end, unless HOOKD_KEEP_TEST_DOCKER=1; one it did not start is
 * never stopped. Docker tests fail under CI=true when there is no engine (test/support/docker.ts).
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const keep = process.env.HOOKD_KEEP_TEST_DOCKER === "1";
  let started: string | undefined;
  try {
    // The owner's pid stops the engine even if this run is killed before its teardown.
    const engine = await startTestEngine(keep ? {} : { ownerPid: process.pid });
    started = engine.started;
    process.env.DOCKER_HOST = engine.host;
    project.provide("docker", { host: engine.host });
    if (keep && started) {
      console.log(
        `HOOKD_KEEP_TEST_DOCKER=1: the test engine keeps running (DOCKER_HOST=${engine.host}); stop it with scripts/test-docker.sh stop ${started}`,
      );
    }
  } catch (err) {
    const why = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
    project.provide("docker", { unavailable: why });
  }
  return async () => {
    if (started && !keep) await stopTestEngine(started);
  };
}
