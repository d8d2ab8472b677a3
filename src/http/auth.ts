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

/** What of a request, besides its Authorization, decides whether it may pass without a token. */
export interface RequestOrigin {
  /** The Origin header: browsers send it with every cross-site POST. */
  origin?: string | undefined;
  /** The Host header, as the client wrote it. */
  host?: string | undefined;
}

/** localhost, 127.x.x.x or ::1 (bracketed or not): names that only ever reach this machine. */
export function isLoopbackName(name: string): boolean {
  return name === "localhost" || name === "::1" || name === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(name);
}

/**
 * Without a token (the Node service and the agent, on loopback only), whatever reaches the port
 * may call /v1 — but a web page in the user's browser must not: it can POST there without asking
 * first (a text/plain body needs no CORS preflight), and a DNS-rebinding page reaches 127.0.0.1
 * under its own name. A browser's request carries an Origin header, a rebinding one a Host that is
 * not a loopback name: either is refused. Clients that are not browsers (curl, the adapters) send
 * neither. Says why, or undefined when the request may pass.
 */
function openRefusal(from: RequestOrigin, secret: string): string | undefined {
  if (from.origin !== undefined) {
    return `a request from a web page (with an Origin header) is refused while ${secret} is not set: set ${secret} to call from a browser`;
  }
  if (from.host !== undefined) {
    const name = from.host.startsWith("[")
      ? from.host.slice(0, from.host.indexOf("]") + 1)
      : from.host.replace(/:\d*$/, "");
    if (!isLoopbackName(name.toLowerCase())) {
      return `Host ${JSON.stringify(from.host.slice(0, 100))} is not a loopback name: refused while ${secret} is not set (call http://127.0.0.1:<port>, or set ${secret})`;
    }
  }
  return undefined;
}

/**
 * Why a request may not pass, as the error that answers it, or undefined when it may: a valid
 * bearer token, or none configured and allowed — and then not from a web page (`openRefusal`).
 * The one rule of every /v1 route.
 */
export function bearerRefusal(
  authorization: string | undefined,
  options: AuthOptions,
  from: RequestOrigin = {},
): ApiError | undefined {
  const secret = options.secret ?? "HOOKD_TOKEN";
  if (options.tokens.length > 0) {
    if (tokenMatches(authorization, options.tokens)) return undefined;
    return new ApiError(
      401,
      "unauthorized",
      `missing or wrong bearer token: send Authorization: Bearer <${secret}>`,
      [],
      { "WWW-Authenticate": `Bearer realm="${options.realm ?? "hookd"}"` },
    );
  }
  if (options.whenUnset !== "allow")
    return new ApiError(401, "token_not_configured", options.whenUnset.refuse);
  const why = openRefusal(from, secret);
  return why === undefined ? undefined : new ApiError(403, "refused_without_token", why);
}

export function bearerAuth(options: AuthOptions): MiddlewareHandler {
  return async (c, next) => {
    const refusal = bearerRefusal(c.req.header("authorization"), options, {
      origin: c.req.header("origin"),
      host: c.req.header("host"),
    });
    if (refusal) throw refusal;
    return next();
  };
}
