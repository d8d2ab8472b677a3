import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import type { LookupFunction } from "node:net";
import { Agent, request } from "undici";
import { type Cidr, DeniedAddressError, deniedBy } from "../../engine/cidr.ts";
import type { HttpClient, HttpRequest, HttpResponse } from "../ports.ts";

/**
 * The HTTP client on Node: one undici Agent, keep-alive to every target, no per-origin
 * connection cap (5,000 hooks to one target must not queue), TLS not verified (as the kubelet),
 * and HOOKD_DENY_CIDRS checked on every address a name resolves to.
 */
export function createUndiciHttpClient(options: { denyCidrs: readonly Cidr[] }): HttpClient {
  const lookup: LookupFunction = (hostname, opts, callback) => {
    dnsLookup(hostname, { ...opts, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, "", 0);
      const list = addresses;
      for (const a of list) {
        const cidr = deniedBy(a.address, options.denyCidrs);
        if (cidr) return callback(new DeniedAddressError(hostname, a.address, cidr), "", 0);
      }
      if (opts.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0];
      if (!first) return callback(new Error(`${hostname}: no address`), "", 0);
      callback(null, first.address, first.family);
    });
  };
  const agent = new Agent({
    connections: null,
    pipelining: 1,
    keepAliveTimeout: 10_000,
    connect: { rejectUnauthorized: false, lookup, timeout: 30_000 },
  });
  return {
    async request(req: HttpRequest): Promise<HttpResponse> {
      const flat: string[] = [];
      for (const [n, v] of req.headers) flat.push(n, v);
      const res = await request(req.url, {
        method: req.method,
        headers: flat,
        signal: req.signal,
        dispatcher: agent,
        ...(req.body !== undefined && { body: req.body }),
      });
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      try {
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          const room = req.maxBodyBytes - size;
          if (chunk.length > room) {
            chunks.push(chunk.subarray(0, room));
            size += room;
            truncated = true;
            break;
          }
          chunks.push(chunk);
          size += chunk.length;
        }
      } finally {
        // Leaving the loop early destroys the body (and its socket): an endless body cannot hang.
        if (truncated) res.body.destroy();
      }
      const headers = res.headers;
      return {
        status: res.statusCode,
        header: (name) => {
          const v = headers[name.toLowerCase()];
          return Array.isArray(v) ? v[0] : v;
        },
        body: Buffer.concat(chunks, size).toString("utf8"),
        truncated,
      };
    },
    close: () => agent.close(),
  };
}
