import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import type { LookupFunction } from "node:net";
import { Agent, request } from "undici";
import { type Cidr, DeniedAddressError, deniedBy } from "../../engine/cidr.ts";
import { decodeCut } from "../../engine/output.ts";
import type { HttpClient, HttpRequest, HttpResponse } from "../ports.ts";

/** How long an idle keep-alive connection is kept: many servers close theirs at 5 s without saying so. */
const KEEP_ALIVE_MS = 4_000;
const CONNECT_TIMEOUT_MS = 30_000;

/**
 * The HTTP client on Node: undici, one Agent for every hook.
 *
 * - Keep-alive to every target and no cap on connections per origin: 5,000 hooks to one target
 *   at once open 5,000 connections and none waits for another.
 * - TLS not verified (as the kubelet); HOOKD_DENY_CIDRS checked on every address a name resolves
 *   to (literal addresses are checked by the engine before it calls).
 * - At most `maxBodyBytes` of a body is read, then the body is destroyed: an endless body cannot
 *   hang a hook. The hook's deadline comes in as the request's signal.
 */
export function createNodeHttpClient(options: { denyCidrs: readonly Cidr[] }): HttpClient {
  const agent = new Agent({
    connections: null,
    keepAliveTimeout: KEEP_ALIVE_MS,
    // The hook's deadline bounds every request; undici's own 300 s timers would only outlive it.
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: {
      rejectUnauthorized: false,
      timeout: CONNECT_TIMEOUT_MS,
      lookup: denyingLookup(options.denyCidrs),
    },
  });
  return {
    async request(req: HttpRequest): Promise<HttpResponse> {
      const res = await request(req.url, {
        dispatcher: agent,
        method: req.method,
        headers: req.headers.flat(),
        signal: req.signal,
        ...(req.body !== undefined && { body: req.body }),
      });
      const { text, truncated } = await readCapped(res.body, req.maxBodyBytes);
      return {
        status: res.statusCode,
        header(name) {
          const value = res.headers[name.toLowerCase()];
          return Array.isArray(value) ? value[0] : value;
        },
        body: text,
        truncated,
      };
    },
    close: () => agent.close(),
  };
}

/** Reads at most `max` bytes of the body, then destroys it (its connection is not reused). */
async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(): unknown },
  max: number,
): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    const room = max - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      size = max;
      truncated = true;
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  if (truncated) body.destroy();
  return { text: decodeCut(Buffer.concat(chunks, size), truncated), truncated };
}

/** Resolves a name as the system does, and refuses it when any of its addresses is denied. */
function denyingLookup(denyCidrs: readonly Cidr[]): LookupFunction {
  return (hostname, opts, callback) => {
    dnsLookup(hostname, { ...opts, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, "", 0);
      for (const a of addresses) {
        const cidr = deniedBy(a.address, denyCidrs);
        if (cidr) return callback(new DeniedAddressError(hostname, a.address, cidr), "", 0);
      }
      if (opts.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(new Error(`${hostname}: no address`), "", 0);
      callback(null, first.address, first.family);
    });
  };
}
