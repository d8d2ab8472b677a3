import type { Context } from "hono";
import type { z } from "zod";
import { ApiError } from "./errors.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

const tooLarge = () =>
  new ApiError(413, "body_too_large", `the body is over ${MAX_BODY_BYTES} bytes (1 MiB)`);

/** Decodes as Request.text() does: UTF-8, invalid bytes replaced, a leading BOM dropped. */
const utf8 = new TextDecoder();

/**
 * Node's IncomingMessage, as far as reading its body goes: @hono/node-server hands it to routes as
 * `c.env.incoming`. Reading it by its 'data' and 'end' events skips building a web Request, Headers,
 * AbortController and ReadableStream per request — the largest framework cost on the hook path
 * (bench/README.md) — and costs less than its async iterator. Checked by shape, so that this
 * module imports nothing Node-only; other runtimes take the web path.
 */
export interface RawBodySource {
  headers: Record<string, string | string[] | undefined>;
  on(event: "data" | "end" | "error" | "close", listener: (chunk: Uint8Array) => void): unknown;
  off(event: "data" | "end" | "error" | "close", listener: (chunk: Uint8Array) => void): unknown;
  pause(): unknown;
}

function rawBodySource(c: Context): RawBodySource | undefined {
  const incoming = (c.env as { incoming?: Partial<RawBodySource> } | undefined)?.incoming;
  if (
    typeof incoming?.on === "function" &&
    typeof incoming.off === "function" &&
    typeof incoming.pause === "function" &&
    typeof incoming.headers === "object" &&
    incoming.headers !== null
  ) {
    return incoming as RawBodySource;
  }
  return undefined;
}

/** Decodes the chunks of a body, `size` bytes in all, once: a chunk may end inside a UTF-8 sequence. */
export function decodeUtf8(parts: readonly Uint8Array[], size: number): string {
  if (parts.length === 1 && parts[0]) return utf8.decode(parts[0]);
  const all = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return utf8.decode(all);
}

function checkDeclaredLength(declared: string | string[] | undefined): void {
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) throw tooLarge();
}

/**
 * The body of a Node request, up to the limit. Past it, reading stops and what is left of the
 * upload is left to @hono/node-server, which drains it after the answer.
 */
export function readRawText(raw: RawBodySource): Promise<string> {
  return new Promise((resolve, reject) => {
    checkDeclaredLength(raw.headers["content-length"]);
    const parts: Uint8Array[] = [];
    let size = 0;
    const stop = () => {
      raw.off("data", onData);
      raw.off("end", onEnd);
      raw.off("error", onGone);
      raw.off("close", onGone);
    };
    const onData = (chunk: Uint8Array) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        stop();
        raw.pause();
        reject(tooLarge());
        return;
      }
      parts.push(chunk);
    };
    const onEnd = () => {
      stop();
      resolve(decodeUtf8(parts, size));
    };
    // A client that goes away mid-upload gets no answer; this only keeps it out of the error log.
    const onGone = () => {
      stop();
      reject(new ApiError(400, "invalid_json", "the client closed the connection before the body ended"));
    };
    raw.on("data", onData);
    raw.on("end", onEnd);
    raw.on("error", onGone);
    raw.on("close", onGone);
  });
}

async function readText(c: Context): Promise<string> {
  const raw = rawBodySource(c);
  if (raw) return readRawText(raw);
  checkDeclaredLength(c.req.header("content-length"));
  const body = c.req.raw.body;
  if (!body) return "";
  // Counted as it arrives (a chunked body has no length): reading stops at the limit.
  const reader = body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    size += next.value.length;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    parts.push(next.value);
  }
  return decodeUtf8(parts, size);
}

/** Reads, parses and validates a JSON body; every failure is a 4xx in the contract's shape. */
export async function readJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  what = "the body",
): Promise<z.infer<S>> {
  return parseJsonBody(await readText(c), schema, what);
}

/** Parses and validates a JSON body already read; every failure is a 4xx in the contract's shape. */
export function parseJsonBody<S extends z.ZodType>(text: string, schema: S, what = "the body"): z.infer<S> {
  if (text.trim() === "") throw new ApiError(400, "invalid_json", `${what} is empty: send a JSON object`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, "invalid_json", `${what} is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw ApiError.invalid(parsed.error, what);
  return parsed.data;
}
