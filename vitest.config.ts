import { stripVTControlCharacters } from "node:util";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { workersPoolOptions } from "./test/workers/pool-options.ts";

/**
 * hookd's JSON log lines that services in the tests write with console.log (the Worker in workerd)
 * are dropped, unless HOOKD_TEST_LOGS=1; services on Node log to a sink (test/support/test-log.ts).
 */
const onConsoleLog = (log: string): false | undefined =>
  process.env.HOOKD_TEST_LOGS !== "1" && stripVTControlCharacters(log).startsWith('{"time"')
    ? false
    : undefined;

export default defineConfig({
  test: {
    // The summary reporter's line comes last: `N passed, N failed, N skipped`.
    reporters: ["default", "./test/support/summary-reporter.ts"],
    // Read from the root config only: a project's own onConsoleLog is ignored.
    onConsoleLog,
    projects: [
      {
        test: {
          name: "node",
          include: ["test/**/*.test.ts"],
          exclude: ["test/workers/**", "node_modules/**"],
          globalSetup: ["test/support/docker-global-setup.ts"],
          // hookd processes the tests start keep their state to themselves unless a test names a
          // store (the default, .hookd/hookd.db in the working directory, would be shared by all).
          env: { HOOKD_STORE: "memory" },
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Tests inside workerd; Node-side servers for them: see test/workers/global-setup.ts.
        plugins: [cloudflareTest(workersPoolOptions)],
        test: {
          name: "workers",
          include: ["test/workers/**/*.test.ts"],
          globalSetup: [
            "test/workers/quiet-workerd-logs.ts",
            "test/workers/global-setup.ts",
            "test/workers/ecs-global-setup.ts",
          ],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
