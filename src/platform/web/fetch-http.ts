import { decodeCut } from "../../engine/output.ts";
import type { HttpClient, HttpRequest, HttpResponse } from "../ports.ts";

/** The HTTP client on Workers (undici cannot run in workerd). TLS is verified there: fetch offers no switch. */
export function createFetchHttpClient(fetchImpl: typeof fetch = fetch): HttpClient {
  return {
    async request(req: HttpRequest): Promise<HttpResponse> {
      const headers = new Headers();
      for (const [name, value] of req.headers) headers.append(name, value);
      const res = await fetchImpl(req.url, {
        method: req.method,
        headers,
        signal: req.signal,
        redirect: "manual",
        ...(req.body !== undefined && { body: req.body }),
      });
      const { text, truncated } = await readCapped(res.body, req.maxBodyBytes);
      return { status: res.status, header: (n) => res.headers.get(n) ?? undefined, body: text, truncated };
    },
  };
}

/** Reads at most `max` bytes, then cancels the stream: an endless body cannot hang a hook. */
export async function readCapped(
  body: ReadableStream<Uint8Array> | null,
  max: number,
): Promise<{ text: string; truncated: boolean }> {
  if (!body) return { text: "", truncated: false };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const room = max - size;
    chunks.push(value.length > room ? value.subarray(0, room) : value);
    size += Math.min(value.length, room);
    if (value.length >= room && (value.length > room || size >= max)) {
      truncated = value.length > room;
      if (!truncated) {
        // Exactly full: one more read tells whether anything follows.
        const next = await reader.read();
        truncated = !next.done;
      }
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return { text: decodeCut(all, truncated), truncated };
}
