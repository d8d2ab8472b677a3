import { decodeCut } from "../../engine/output.ts";
import type { HttpClient, HttpRequest, HttpResponse } from "../ports.ts";

/** The HTTP client on Workers (undici cannot run in workerd). TLS is verified there: fetch offers no switch. */
export function createFetchHttpClient(fetchImpl: typeof fetch = fetch): HttpClient {
  return {
    async request(req: HttpRequest): Promise<HttpResponse> {
      const headers = new Headers();
      for (const [name, value] of req.headers) headers.append(name, value);
      let res: Response;
      try {
        res = await fetchImpl(req.url, {
          method: req.method,
          headers,
          signal: req.signal,
          redirect: "manual",
          ...(req.body !== undefined && { body: req.body }),
        });
      } catch (err) {
        throw explained(err, req.url);
      }
      const { text, truncated } = await readCapped(res.body, req.maxBodyBytes);
      return { status: res.status, header: (n) => res.headers.get(n) ?? undefined, body: text, truncated };
    },
  };
}

/**
 * workerd answers a failed TLS handshake with this alone — a self-signed or private-CA
 * certificate, a name the certificate does not hold, or a server that answers plain HTTP (which it
 * does not tell apart, so the kubelet's retry over HTTP cannot happen here); the cause goes to its
 * own log under the reference.
 */
const WORKERD_INTERNAL_ERROR = /^internal error; reference = (\S+)/;

function explained(err: unknown, url: string | URL): unknown {
  const reference = err instanceof Error ? WORKERD_INTERNAL_ERROR.exec(err.message)?.[1] : undefined;
  if (reference === undefined || new URL(url).protocol !== "https:") return err;
  return new Error(
    "TLS: certificate not trusted, or no TLS on that port — Workers always verify TLS certificates (the kubelet and hookd on Node do not): " +
      `give the target a certificate from a public CA for its host name, use scheme HTTP, or run this hook from hookd on Node or Lambda (workerd reference ${reference})`,
    { cause: err },
  );
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
