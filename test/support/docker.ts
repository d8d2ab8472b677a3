import { inject, type TestContext } from "vitest";

export const TEST_IMAGE = "hookd-test/busybox:latest";

/**
 * The Docker engine of the test run. Without one, a test fails under CI=true and is skipped
 * (loudly, with the reason) elsewhere: CI must never pass without running the Docker tests.
 */
export function requireDocker(ctx: TestContext): string {
  const docker = inject("docker");
  if ("host" in docker) return docker.host;
  const why = `no Docker engine for the tests: ${docker.unavailable}`;
  if (process.env.CI) throw new Error(`${why} (CI=true: Docker tests must run)`);
  ctx.skip(why);
  throw new Error(why);
}
