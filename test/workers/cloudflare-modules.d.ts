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
}
