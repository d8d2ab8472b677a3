import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import { type SpecIssue, specIssues } from "../schema/issues.ts";

/** The one error of the HTTP layer; `onError` turns it (and anything else) into the contract's body. */
export class ApiError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly issues: SpecIssue[];
  readonly headers: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    issues: SpecIssue[] = [],
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.issues = issues;
    this.headers = headers;
  }

  static invalid(error: z.ZodError, what: string): ApiError {
    const issues = specIssues(error);
    const first = issues[0];
    const summary = first ? `${first.path}: ${first.message}` : "invalid";
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
    return new ApiError(400, "invalid_request", `${what} is invalid: ${summary}${more}`, issues);
  }
}

export function errorBody(code: string, message: string, issues: SpecIssue[] = []) {
  return { error: { code, message, issues } };
}

/** What any error becomes on the wire: status, the contract's body and extra headers. */
export interface ErrorPayload {
  status: ContentfulStatusCode;
  body: ReturnType<typeof errorBody>;
  headers: Record<string, string>;
}

export function errorPayload(err: unknown): ErrorPayload {
  if (err instanceof ApiError) {
    return { status: err.status, body: errorBody(err.code, err.message, err.issues), headers: err.headers };
  }
  // Hono's own HTTPException, and anything unforeseen: never a crash, never a stack trace.
  const status = (err as { status?: unknown })?.status;
  if (typeof status === "number" && status >= 400 && status < 500) {
    return {
      status: status as ContentfulStatusCode,
      body: errorBody("bad_request", (err as Error).message || "bad request"),
      headers: {},
    };
  }
  console.error(
    JSON.stringify({ level: "error", msg: "unhandled", error: String((err as Error)?.stack ?? err) }),
  );
  return { status: 500, body: errorBody("internal", "internal error: see the service's log"), headers: {} };
}

export function errorResponse(c: Context, err: unknown): Response {
  const { status, body, headers } = errorPayload(err);
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  return c.json(body, status);
}
