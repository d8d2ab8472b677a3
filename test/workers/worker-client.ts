import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import worker from "../../src/entry/worker.ts";
import { WORKER_TEST_TOKEN } from "./pool-options.ts";

export { WORKER_TEST_TOKEN };

/** A Worker as the tests reach it: the main one, or the deployed bundle through a service binding. */
export interface WorkerUnderTest {
  fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response>;
}

/** The main Worker (src/entry/worker.ts in workerd) with the bindings of the pool (pool-options.ts). */
export const mainWorker: WorkerUnderTest = exports.default;

/** The bundle `wrangler deploy --dry-run` built, bound as `name` (see pool-options.ts). */
export function bundledWorker(name: "HOOKD_BUNDLE" | "HOOKD_BUNDLE_NO_TOKEN"): WorkerUnderTest {
  const binding = env[name] as WorkerUnderTest | undefined;
  if (!binding) {
    throw new Error(
      `no ${name} binding: the Worker bundle was not built (see the bundle test in test/workers/worker.test.ts)`,
    );
  }
  return binding;
}

/**
 * Calls the main Worker's fetch handler with its bindings plus `overrides` (e.g. the URL of a
 * Node-side fake, see global-setup.ts), and waits for its background work (waitUntil).
 */
export async function callWorker(request: Request, overrides: Record<string, unknown>): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

export function postJson(
  target: WorkerUnderTest,
  path: string,
  body: unknown,
  /** null: no Authorization header. */
  token: string | null = WORKER_TEST_TOKEN,
): Promise<Response> {
  return target.fetch(`http://hookd.test${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
    body: JSON.stringify(body),
  });
}
