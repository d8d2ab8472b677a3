import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import type { LookupFunction } from "node:net";
import { Agent, type Dispatcher } from "undici";
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
    request(req: HttpRequest): Promise<HttpResponse> {
      const flat: string[] = [];
      for (const [n, v] of req.headers) flat.push(n, v);
      const url = new URL(req.url);
      return new Promise((resolve, reject) => {
        agent.dispatch(
          {
            origin: url.origin,
            path: `${url.pathname}${url.search}`,
            method: req.method,
            headers: flat,
            ...(req.body !== undefined && { body: req.body }),
          },
          new CappedBodyHandler(req, resolve, reject),
        );
      });
    },
    close: () => agent.close(),
  };
}

/**
 * Collects the status, headers and the first `maxBodyBytes` of the body straight from undici's
 * dispatcher. undici's `request()` would wrap the body in a Readable stream and an async
 * iterator per hook — the largest cost left on the hook path after the framework's
 * (bench/README.md). Past the cap the request is aborted, which closes the socket: an endless
 * body cannot hang a hook.
 */
class CappedBodyHandler implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  #status = 0;
  #headers: Record<string, string | string[] | undefined> = {};
  #chunks: Buffer[] = [];
  #size = 0;
  #truncated = false;
  #settled = false;
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly req: HttpRequest,
    private readonly resolve: (res: HttpResponse) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    this.#unsubscribe = req.abort.onAbort((reason) => this.#abort(reason));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    // Aborted while waiting for a socket: stop now that there is something to stop.
    if (this.req.abort.aborted) controller.abort(asError(this.req.abort.reason));
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.#status = statusCode;
    this.#headers = headers;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const room = this.req.maxBodyBytes - this.#size;
    if (chunk.length > room) {
      this.#chunks.push(chunk.subarray(0, room));
      this.#size += room;
      this.#truncated = true;
      this.#succeed();
      controller.abort(new Error(`body over ${this.req.maxBodyBytes} bytes: the rest is not read`));
      return;
    }
    this.#chunks.push(chunk);
    this.#size += chunk.length;
  }

  onResponseEnd(): void {
    this.#succeed();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#fail(error);
  }

  #abort(reason: unknown): void {
    this.#fail(reason);
    this.#controller?.abort(asError(reason));
  }

  #succeed(): void {
    if (this.#settled) return;
    this.#settle();
    const headers = this.#headers;
    this.resolve({
      status: this.#status,
      header: (name) => {
        const v = headers[name.toLowerCase()];
        return Array.isArray(v) ? v[0] : v;
      },
      body: Buffer.concat(this.#chunks, this.#size).toString("utf8"),
      truncated: this.#truncated,
    });
  }

  #fail(error: unknown): void {
    if (this.#settled) return;
    this.#settle();
    this.reject(error);
  }

  #settle(): void {
    this.#settled = true;
    // Undefined when the request was aborted before it began (onAbort called back at once).
    this.#unsubscribe?.();
  }
}

function asError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
