import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors.ts";

const encoder = new TextEncoder();

/** Compares in time that depends only on the lengths, not on where the strings differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  let diff = x.length ^ y.length;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

export function tokenMatches(header: string | undefined, tokens: readonly string[]): boolean {
  const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  const given = m?.[1];
  if (!given) return false;
  let ok = false;
  // Every token is compared, so the time does not tell which one matched.
  for (const t of tokens) ok = constantTimeEqual(given, t) || ok;
  return ok;
}

export interface AuthOptions {
  tokens: readonly string[];
  /** Without a token: the Node service (bound to loopback) lets requests through; the Worker refuses. */
  whenUnset: "allow" | { refuse: string };
  /** The setting that holds the token, named in the 401 (default HOOKD_TOKEN), and the realm. */
  secret?: string;
  realm?: string;
}

export function bearerAuth(options: AuthOptions): MiddlewareHandler {
  return async (c, next) => {
    if (options.tokens.length === 0) {
      if (options.whenUnset === "allow") return next();
      throw new ApiError(401, "token_not_configured", options.whenUnset.refuse);
    }
    if (!tokenMatches(c.req.header("authorization"), options.tokens)) {
      throw new ApiError(
        401,
        "unauthorized",
        `missing or wrong bearer token: send Authorization: Bearer <${options.secret ?? "HOOKD_TOKEN"}>`,
        [],
        { "WWW-Authenticate": `Bearer realm="${options.realm ?? "hookd"}"` },
      );
    }
    return next();
  };
}
