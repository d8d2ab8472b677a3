import { z } from "zod";
import { HookResultSchema } from "../schema/result.ts";
import { RunSchema } from "../schema/run.ts";
import { VERSION } from "../version.ts";

export interface RouteDoc {
  method: "get" | "post";
  path: string;
  summary: string;
  body?: z.ZodType;
  query?: Record<string, string>;
  /** Path parameters (`{id}` in the path), each with its description. */
  params?: Record<string, string>;
  responses: Record<string, { description: string; schema?: z.ZodType }>;
}

const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    issues: z.array(z.object({ path: z.string(), message: z.string() })),
  }),
});

function schema(s: z.ZodType): unknown {
  return z.toJSONSchema(s, { io: "input", unrepresentable: "any" });
}

/** The OpenAPI 3.1 document, built from the same zod schemas that validate the requests. */
export function openApiDocument(routes: RouteDoc[]): unknown {
  const paths: Record<string, Record<string, unknown>> = {
    "/healthz": {
      get: {
        summary: "Liveness; no auth",
        security: [],
        responses: {
          "200": {
            description: "ok",
            content: {
              "application/json": {
                schema: schema(z.object({ status: z.literal("ok"), version: z.string() })),
              },
            },
          },
        },
      },
    },
    "/openapi.json": {
      get: {
        summary: "This document; no auth",
        security: [],
        responses: { "200": { description: "OpenAPI 3.1" } },
      },
    },
  };
  const errors = {
    "400": {
      description: "bad body or query: the issues name each bad field",
      content: { "application/json": { schema: schema(ErrorBodySchema) } },
    },
    "401": {
      description: "missing or wrong bearer token",
      content: { "application/json": { schema: schema(ErrorBodySchema) } },
    },
    "413": {
      description: "body over 1 MiB",
      content: { "application/json": { schema: schema(ErrorBodySchema) } },
    },
  };
  for (const r of routes) {
    const responses: Record<string, unknown> = { ...errors };
    for (const [status, res] of Object.entries(r.responses)) {
      responses[status] = {
        description: res.description,
        ...(res.schema && { content: { "application/json": { schema: schema(res.schema) } } }),
      };
    }
    paths[r.path] = {
      ...paths[r.path],
      [r.method]: {
        summary: r.summary,
        ...((r.query || r.params) && {
          parameters: [
            ...Object.entries(r.params ?? {}).map(([name, description]) => ({
              name,
              in: "path",
              required: true,
              description,
              schema: { type: "string" },
            })),
            ...Object.entries(r.query ?? {}).map(([name, description]) => ({
              name,
              in: "query",
              required: false,
              description,
              schema: { type: "string" },
            })),
          ],
        }),
        ...(r.body && {
          requestBody: { required: true, content: { "application/json": { schema: schema(r.body) } } },
        }),
        responses,
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "hookd",
      version: VERSION,
      description: "Kubernetes-style lifecycle hooks for ECS and Docker",
    },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: { HookResult: schema(HookResultSchema), Run: schema(RunSchema) },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
