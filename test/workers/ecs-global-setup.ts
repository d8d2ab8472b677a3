/**
 * Node side of the ECS Worker tests: the wire-level fake ECS endpoint on 127.0.0.1 (workerd's
 * fetch reaches it; the tests drive it through its /_fake/ control routes), and the fixture
 * event, read here because workerd has no file system.
 */

import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { startFakeEcs } from "../support/fake-ecs.ts";
import { ECS_FIXTURES as FIXTURES } from "../support/fixtures.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the fake ECS endpoint (test/support/fake-ecs.ts). */
    fakeEcs: string;
    /** test/fixtures/ecs/task-running-fargate.json, as text. */
    ecsRunningFixture: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fake = await startFakeEcs();
  project.provide("fakeEcs", fake.url);
  project.provide(
    "ecsRunningFixture",
    await readFile(resolve(FIXTURES, "task-running-fargate.json"), "utf8"),
  );
  return () => fake.close();
}
