import type { Context } from "hono";
import type { z } from "zod";
import { ApiError } from "./errors.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

export const tooLarge = () =>
  new ApiError(413, "body_too_large", `the body is over ${MAX_BODY_BYTES} bytes (1 MiB)`);

/** Decodes as Request.text() does: UTF-8, invalid bytes replaced, a leading BOM dropped. */
const utf8 = new TextDecoder();

/**
 * The raw request body as a runtime may hand it in `c.env`: @hono/node-server passes Node's
 * IncomingMessage as `c.env.incoming` (an async iterable of byte chunks). Reading it directly
 * skips building a web Request, Headers, AbortController and ReadableStream per request — the
 * largest framework cost on the hook path (bench/README.md). Checked by shape, so that this
 * module imports nothing Node-only; other runtimes take the web path.
 */
export interface RawBodySource {
  headers: Record<string, string | string[] | undefined>;
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array>;
}

function rawBodySource(c: Context): RawBodySource | undefined {
  const incoming = (c.env as { incoming?: Partial<RawBodySource> } | undefined)?.incoming;
  if (
    typeof incoming?.[Symbol.asyncIterator] === "function" &&
    typeof incoming.headers === "object" &&
    incoming.headers !== null
  ) {
    return incoming as RawBodySource;
  }
  return undefined;
}

/**
 * Reads chunks up to the limit, then decodes once (a chunk may end inside a UTF-8 sequence).
 * Over the limit, `stop` ends the upload; the iterator itself is left alone, because ending a
 * Node stream's iterator destroys the socket before the 413 can be sent.
 */
async function readChunks(chunks: AsyncIterator<Uint8Array>, stop: () => Promise<void>): Promise<string> {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
    size += next.value.length;
    if (size > MAX_BODY_BYTES) {
      await stop();
      throw tooLarge();
    }
    parts.push(next.value);
  }
  return decodeUtf8(parts, size);
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

export function checkDeclaredLength(declared: string | string[] | undefined): void {
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) throw tooLarge();
}

/** The body of a Node request, up to the limit. What is left of an upload over it is the caller's to drain or close. */
function readRawText(raw: RawBodySource): Promise<string> {
  checkDeclaredLength(raw.headers["content-length"]);
  return readChunks(raw[Symbol.asyncIterator](), async () => undefined);
}

async function readText(c: Context): Promise<string> {
  const raw = rawBodySource(c);
  // @hono/node-server drains (or closes) what is left of the upload after the answer.
  if (raw) return readRawText(raw);
  checkDeclaredLength(c.req.header("content-length"));
  const body = c.req.raw.body;
  if (!body) return "";
  // Counted as it arrives (a chunked body has no length): reading stops at the limit.
  const reader = body.getReader();
  const chunks: AsyncIterator<Uint8Array> = {
    next: async () => {
      const r = await reader.read();
      return r.done ? { done: true, value: undefined } : { done: false, value: r.value };
    },
  };
  return readChunks(chunks, () => reader.cancel().catch(() => undefined));
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
