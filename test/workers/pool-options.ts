import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { cloudflareTest } from "@cloudflare/vitest-plugin";
import type { inject } from "vitest";
import { fakeEcsEnv } from "../support/fake-ecs-env.ts";
import type { WorkerBundle } from "./global-setup.ts";

type PoolOptions = Extract<Parameters<typeof cloudflareTest>[0], { wrangler?: unknown }>;

export const WRANGLER_CONFIG = resolve(import.meta.dirname, "../../wrangler.toml");
/** The token of the Workers under test; the bundle "no token" Worker has none. */
export const WORKER_TEST_TOKEN = "worker-test-token";

/** compatibility_date and compatibility_flags of wrangler.toml, so the bundle runs as deployed. */
function compatibility(): { compatibilityDate: string; compatibilityFlags: string[] } {
  const toml = readFileSync(WRANGLER_CONFIG, "utf8");
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? "";
  if (!date) throw new Error(`${WRANGLER_CONFIG}: no compatibility_date`);
  return {
    compatibilityDate: date,
    compatibilityFlags: [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? ""),
  };
}

/**
 * The Workers under test, all in workerd:
 * - the main Worker, wrangler.toml's `main` (src/entry/worker.ts) through vite, with HOOKD_TOKEN:
 *   tests call it with `exports.default.fetch` or `callWorker` (worker-client.ts);
 * - the bundle `wrangler deploy --dry-run` built in global-setup.ts, twice: with the token
 *   (service binding HOOKD_BUNDLE) and without it (HOOKD_BUNDLE_NO_TOKEN).
 * A failed build leaves the bundle bindings out; the bundle test in worker.test.ts then fails with why.
 */
export function workersPoolOptions(ctx: { inject: typeof inject }): PoolOptions {
  const bundle: WorkerBundle = ctx.inject("workerBundle");
  const compat = compatibility();
  const bundled = (name: string, bindings: Record<string, string>) => ({
    name,
    modules: true,
    scriptPath: bundle.ok ? bundle.path : "",
    // The bundle lives in a temporary directory: workerd resolves modules under this root.
    modulesRoot: bundle.ok ? dirname(bundle.path) : "",
    ...compat,
    bindings: { HOOKD_DEFAULT_TIMEOUT_SECONDS: "30", ...bindings },
    // As wrangler.toml binds it: the bundle's own HookdStore class, SQLite-backed.
    durableObjects: { HOOKD_STORE: { className: "HookdStore", useSQLite: true } },
  });
  return {
    wrangler: { configPath: WRANGLER_CONFIG },
    miniflare: {
      bindings: { HOOKD_TOKEN: WORKER_TEST_TOKEN },
      ...(bundle.ok && {
        serviceBindings: { HOOKD_BUNDLE: "hookd-bundle", HOOKD_BUNDLE_NO_TOKEN: "hookd-bundle-no-token" },
        workers: [
          // The ECS settings point the bundled SDK at the fake ECS endpoint (ecs-global-setup.ts).
          bundled("hookd-bundle", {
            HOOKD_TOKEN: WORKER_TEST_TOKEN,
            ...fakeEcsEnv(ctx.inject("fakeEcs")),
          }),
          bundled("hookd-bundle-no-token", {}),
        ],
      }),
    },
  };
}
