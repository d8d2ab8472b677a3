import type { Context } from "hono";
import type { WaitUntil } from "../platform/ports.ts";

/** The request's execution context where the runtime has one (Workers), else undefined (Node). */
export function waitUntilOf(c: Context): WaitUntil | undefined {
  try {
    return c.executionCtx;
  } catch {
    return undefined;
  }
}
