import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { workersPoolOptions } from "./test/workers/pool-options.ts";

export default defineConfig({
  test: {
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
          globalSetup: ["test/workers/global-setup.ts", "test/workers/ecs-global-setup.ts"],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
