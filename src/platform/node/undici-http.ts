import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import type { LookupFunction } from "node:net";
import { Agent, type Dispatcher, request } from "undici";
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
      let res: Dispatcher.ResponseData;
      try {
        res = await request(req.url, {
          dispatcher: agent,
          method: req.method,
          headers: req.headers.flat(),
          signal: req.signal,
          ...(req.body !== undefined && { body: req.body }),
        });
      } catch (err) {
        throw clearError(err);
      }
      const coding = unframedCoding(res.headers["transfer-encoding"]);
      if (coding !== undefined) {
        res.body.destroy();
        throw new Error(
          `unsupported Transfer-Encoding ${JSON.stringify(coding)}: only chunked is read (as Go's client, the kubelet's), and this body would run until the server closes the connection`,
        );
      }
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

/**
 * A Transfer-Encoding whose last coding is not chunked (such as "identity"): undici then reads the
 * body until the server closes, which a keep-alive server never does, and the hook would wait for
 * its deadline. Go's client refuses such an answer at once; so does hookd.
 */
function unframedCoding(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header.join(", ") : header;
  const last = value.split(",").at(-1)?.trim().toLowerCase();
  return last === "chunked" ? undefined : value;
}

/**
 * undici refuses a status under 100 (000, 099) with an assertion, whose message is its source
 * code: say it as its parser says everything else it refuses.
 */
function clearError(err: unknown): unknown {
  if (!(err instanceof Error) || (err as { code?: unknown }).code !== "ERR_ASSERTION") return err;
  const check = /assert\((.+)\)/.exec(err.message)?.[1];
  const what = check?.includes("statusCode")
    ? "status code under 100"
    : `failed check ${check ?? err.message}`;
  return new Error(`Response does not match the HTTP/1.1 protocol (${what})`, { cause: err });
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
