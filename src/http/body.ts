import type { Context } from "hono";
import type { z } from "zod";
import { ApiError } from "./errors.ts";

export const MAX_BODY_BYTES = 1024 * 1024;

const tooLarge = () =>
  new ApiError(413, "body_too_large", `the body is over ${MAX_BODY_BYTES} bytes (1 MiB)`);

async function readText(c: Context): Promise<string> {
  const declared = c.req.header("content-length");
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) throw tooLarge();
  const body = c.req.raw.body;
  if (!body) return "";
  if (declared !== undefined) {
    const text = await c.req.text();
    if (text.length > MAX_BODY_BYTES) throw tooLarge();
    return text;
  }
  // No length given (chunked): count as it arrives and stop at the limit.
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}

/** Reads, parses and validates a JSON body; every failure is a 4xx in the contract's shape. */
export async function readJson<S extends z.ZodType>(
  c: Context,
  schema: S,
  what = "the body",
): Promise<z.infer<S>> {
  const text = await readText(c);
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
