import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";

const run = promisify(execFile);

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
  const script = resolve(import.meta.dirname, "../../scripts/test-docker.sh");
  let started = false;
  try {
    const { stdout } = await run("bash", [script, "start"], { timeout: 120_000 });
    const host = /DOCKER_HOST=(\S+)/.exec(stdout)?.[1];
    if (!host) throw new Error(`scripts/test-docker.sh printed no DOCKER_HOST: ${stdout}`);
    process.env.DOCKER_HOST = host;
    project.provide("docker", { host });
    started = !process.env.HOOKD_KEEP_TEST_DOCKER;
  } catch (err) {
    const why = (err as { stderr?: string }).stderr?.trim() || (err as Error).message;
    project.provide("docker", { unavailable: why });
  }
  return async () => {
    if (started && process.env.HOOKD_STOP_TEST_DOCKER)
      await run("bash", [script, "stop"]).catch(() => undefined);
  };
}
