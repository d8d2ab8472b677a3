import type { IncomingMessage, ServerResponse } from "node:http";
import { type AppDeps, serviceAuth } from "../../http/app.ts";
import { checkBearer } from "../../http/auth.ts";
import { parseJsonBody, readRawText } from "../../http/body.ts";
import { errorPayload } from "../../http/errors.ts";
import { HOOK_RUN_PATH, RunHookRequestSchema, runHookRequest } from "../../http/routes/hooks.ts";

/** Serves a request straight from Node's objects and says so, or returns false to let the app serve it. */
export type NodeRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

const QUERY_AFTER_PATH = `${HOOK_RUN_PATH}?`;

/**
 * `POST /v1/hooks/run` on Node without the web layer: no Request, Hono context or Response per
 * hook. It is the service's hot path, and the web layer cost about a sixth of its CPU on the
 * host it was measured on (bench/README.md). The auth check, body limit, validation, engine and
 * error body are the Hono route's own functions; the Hono route still serves this path on Workers
 * and Lambda, and on Node the app serves every other request. On Node the front door
 * (hook-front.ts) answers plain hook requests first; this route answers those it hands over
 * (chunked uploads, wrong tokens, bad bodies, connections that served another route).
 */
export function hookRunRoute(deps: AppDeps): NodeRoute {
  const auth = serviceAuth(deps);
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    let status = 200;
    let body: unknown;
    let headers: Record<string, string> = {};
    let bodyRead = false;
    try {
      checkBearer(req.headers.authorization, auth);
      const text = await readRawText(req);
      bodyRead = true;
      body = await runHookRequest(parseJsonBody(text, RunHookRequestSchema), deps.engine);
    } catch (err) {
      ({ status, body, headers } = errorPayload(err));
    }
    const json = JSON.stringify(body);
    res.writeHead(status, {
      ...headers,
      "Content-Type": "application/json",
      "Content-Length": Buffer.byteLength(json),
      // An upload refused before it was read (401, 413) is not read to its end: the connection
      // closes after the answer instead.
      ...(!bodyRead && { Connection: "close" }),
    });
    res.end(json);
  };
  return (req, res) => {
    const url = req.url ?? "";
    if (req.method !== "POST" || (url !== HOOK_RUN_PATH && !url.startsWith(QUERY_AFTER_PATH))) return false;
    serve(req, res).catch((err: unknown) => {
      // Only writing the answer can get here (the socket broke): never an unhandled rejection.
      console.error(JSON.stringify({ level: "error", msg: "answer not sent", error: String(err) }));
      res.destroy();
    });
    return true;
  };
}
