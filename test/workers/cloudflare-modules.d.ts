// The few workerd modules the Worker tests use, typed just enough (no @cloudflare/workers-types here).
declare module "cloudflare:workers" {
  export const env: Record<string, unknown>;
  export const exports: {
    default: { fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> };
  };
}

declare module "cloudflare:test" {
  import type { ExecutionContext } from "hono";
  export function createExecutionContext(): ExecutionContext;
  export function waitOnExecutionContext(ctx: ExecutionContext): Promise<void>;
  /** Runs `callback` inside the object `stub` points to, with its instance and state. */
  export function runInDurableObject<O, R>(
    stub: unknown,
    callback: (instance: O, state: import("cloudflare:workers").DurableObjectState) => R | Promise<R>,
  ): Promise<R>;
  /** Runs the object's alarm now if one is set; true if it ran. */
  export function runDurableObjectAlarm(stub: unknown): Promise<boolean>;
}
