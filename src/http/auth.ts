import type { MiddlewareHandler } from "hono";
import { ApiError } from "./errors.ts";

/**
 * Compares in time that depends only on the lengths, not on where the strings differ. UTF-16
 * code units compare as exactly as UTF-8 bytes, without encoding both strings per request.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = Math.max(a.length, b.length);
  // Past the end of a string, charCodeAt is NaN and NaN | 0 is 0.
  for (let i = 0; i < n; i++) diff |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return diff === 0;
}

function tokenMatches(header: string | undefined, tokens: readonly string[]): boolean {
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

/** Whether a request with this Authorization header may pass: a valid bearer token, or none configured and allowed. */
export function bearerAllows(authorization: string | undefined, options: AuthOptions): boolean {
  return options.tokens.length === 0
    ? options.whenUnset === "allow"
    : tokenMatches(authorization, options.tokens);
}

/** Lets a request through as `bearerAllows` says; else throws the 401 that says why. */
export function checkBearer(authorization: string | undefined, options: AuthOptions): void {
  if (bearerAllows(authorization, options)) return;
  if (options.whenUnset !== "allow" && options.tokens.length === 0) {
    throw new ApiError(401, "token_not_configured", options.whenUnset.refuse);
  }
  throw new ApiError(
    401,
    "unauthorized",
    `missing or wrong bearer token: send Authorization: Bearer <${options.secret ?? "HOOKD_TOKEN"}>`,
    [],
    { "WWW-Authenticate": `Bearer realm="${options.realm ?? "hookd"}"` },
  );
}

export function bearerAuth(options: AuthOptions): MiddlewareHandler {
  return async (c, next) => {
    checkBearer(c.req.header("authorization"), options);
    return next();
  };
}
