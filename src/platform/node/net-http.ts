import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { type LookupFunction, connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { type Cidr, DeniedAddressError, deniedBy, parseIp } from "../../engine/cidr.ts";
import { decodeCut } from "../../engine/output.ts";
import { BAD_HEADER_VALUE, HEADER_NAME } from "../../spec/lifecycle.ts";
import type { HttpClient, HttpRequest, HttpResponse } from "../ports.ts";
import { CLOSE_TOKEN, HEAD_END, KEEP_ALIVE_TOKEN, MAX_HEAD_BYTES } from "./http1.ts";

const CONNECT_TIMEOUT_MS = 30_000;
/**
 * How long an idle keep-alive connection is kept, unless the server's Keep-Alive says less: 4 s,
 * as undici, since many servers close theirs at 5 s without saying so.
 */
const IDLE_MS = 4_000;
/** A server's `Keep-Alive: timeout=N` is trusted to N s minus this, so that a reuse never races its close. */
const IDLE_MARGIN_MS = 1_000;
const CRLF = Buffer.from("\r\n");
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: |$)/;

/**
 * The HTTP client on Node: HTTP/1.1 over `net`/`tls` sockets, written for the hook path.
 *
 * - Keep-alive to every target, one request per connection at a time, and no cap on
 *   connections per origin: 5,000 hooks to one target at once open 5,000 connections and none
 *   waits for another.
 * - TLS not verified (as the kubelet); HOOKD_DENY_CIDRS checked on every address a name
 *   resolves to (literal addresses are checked by the engine before it calls).
 * - Reads at most `maxBodyBytes` of a body, then closes the connection: an endless body cannot
 *   hang a hook. Content-Length, chunked and close-delimited bodies; 1xx answers skipped.
 * - A GET on a reused connection that the server closed before answering is sent again once, on
 *   a new connection (the server's idle close can cross our request on the wire).
 *
 * Why not undici, which this replaced: per hook it cost about twice the CPU of this client
 * (Agent → Pool → Client, its request objects and its parser), which made it the largest share
 * of the service's CPU on the hook path and in bursts of thousands of hooks (bench/README.md).
 */
export function createNodeHttpClient(options: { denyCidrs: readonly Cidr[] }): HttpClient {
  const lookup = denyingLookup(options.denyCidrs);
  const idle = new Map<string, Conn[]>();
  let closed = false;
  let sweeper: NodeJS.Timeout | undefined;

  const removeIdle = (conn: Conn) => {
    const list = idle.get(conn.key);
    if (!list || conn.idleIndex < 0) return;
    const last = list.pop() as Conn;
    if (last !== conn) {
      list[conn.idleIndex] = last;
      last.idleIndex = conn.idleIndex;
    }
    conn.idleIndex = -1;
    if (list.length === 0) idle.delete(conn.key);
  };

  /** An idle connection to reuse, if one is still open both ways (the server may have closed its side). */
  const takeIdle = (key: string): Conn | undefined => {
    const list = idle.get(key);
    while (list?.length) {
      const c = list.pop() as Conn;
      c.idleIndex = -1;
      if (!c.socket.destroyed && c.socket.writable && !c.socket.readableEnded) {
        if (list.length === 0) idle.delete(key);
        return c;
      }
      c.socket.destroy();
    }
    idle.delete(key);
    return undefined;
  };

  const sweep = () => {
    const now = Date.now();
    let left = 0;
    for (const list of idle.values()) {
      for (let i = list.length - 1; i >= 0; i--) {
        const conn = list[i] as Conn;
        if (conn.idleUntil <= now) conn.socket.destroy();
        else left++;
      }
    }
    if (left === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };

  const release = (conn: Conn, reusable: boolean, idleMs: number) => {
    conn.exchange = undefined;
    if (!reusable || closed || idleMs <= 0 || conn.socket.destroyed) {
      conn.socket.destroy();
      return;
    }
    conn.idleUntil = Date.now() + idleMs;
    let list = idle.get(conn.key);
    if (!list) {
      list = [];
      idle.set(conn.key, list);
    }
    conn.idleIndex = list.length;
    list.push(conn);
    conn.socket.unref();
    sweeper ??= setInterval(sweep, 1000).unref();
  };

  const open = (url: URL, key: string): Conn => {
    const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
    const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    const socket =
      url.protocol === "https:"
        ? tlsConnect({
            host,
            port,
            lookup,
            rejectUnauthorized: false,
            ALPNProtocols: ["http/1.1"],
            // SNI carries names only (RFC 6066).
            ...(parseIp(host) ? {} : { servername: host }),
          })
        : netConnect({ host, port, lookup });
    socket.setNoDelay(true);
    const conn = new Conn(socket, key);
    const connectTimer = setTimeout(
      () => socket.destroy(new Error(`connect to ${url.host} timed out after ${CONNECT_TIMEOUT_MS / 1000}s`)),
      CONNECT_TIMEOUT_MS,
    );
    socket.once(url.protocol === "https:" ? "secureConnect" : "connect", () => clearTimeout(connectTimer));
    socket.on("data", (chunk: Buffer) => {
      if (conn.exchange) conn.exchange.onData(chunk);
      else socket.destroy(); // bytes nobody asked for: the connection is not reusable
    });
    socket.on("error", (err) => conn.exchange?.onError(err));
    socket.on("end", () => conn.exchange?.onEnd());
    socket.on("close", () => {
      clearTimeout(connectTimer);
      removeIdle(conn);
      conn.exchange?.onEnd();
    });
    return conn;
  };

  const send = (req: HttpRequest, url: URL, fresh: boolean): Promise<HttpResponse> =>
    new Promise<HttpResponse>((resolve, reject) => {
      if (closed) return reject(new Error("the HTTP client is closed"));
      const key = `${url.protocol}//${url.host}`;
      let conn = fresh ? undefined : takeIdle(key);
      const reused = conn !== undefined;
      if (conn) conn.socket.ref();
      else conn = open(url, key);
      const retry =
        reused && req.method === "GET" ? () => send(req, url, true).then(resolve, reject) : undefined;
      const head = requestHead(req, url);
      // On the wire first: the answer cannot be read before this turn of the loop ends.
      conn.socket.write(head.text);
      conn.exchange = new Exchange(conn, req, resolve, reject, release, retry, head.close);
    });

  return {
    request(req: HttpRequest): Promise<HttpResponse> {
      let url: URL;
      try {
        url = typeof req.url === "string" ? new URL(req.url) : req.url;
        checkHeaders(req.headers);
      } catch (err) {
        return Promise.reject(err);
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        return Promise.reject(new Error(`unsupported protocol ${url.protocol}`));
      }
      if (req.abort.aborted) return Promise.reject(req.abort.reason);
      return send(req, url, false);
    },
    async close() {
      closed = true;
      if (sweeper) clearInterval(sweeper);
      for (const list of idle.values()) for (const conn of [...list]) conn.socket.destroy();
      idle.clear();
    },
  };
}

class Conn {
  exchange: Exchange | undefined;
  /** Where it sits in its origin's idle list, or -1 while in use. */
  idleIndex = -1;
  idleUntil = 0;
  constructor(
    readonly socket: Socket,
    readonly key: string,
  ) {}
}

enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  UntilClose,
  /** The head said there is no body (204, 304, Content-Length: 0). */
  Done,
}

/** One request and its response on a connection: parses the response as its bytes arrive. */
class Exchange {
  #state = State.Head;
  #buf: Buffer | undefined;
  #status = 0;
  /** The final head's lines (status line first), for NetResponse.header. */
  #lines: string[] = [];
  #keepAlive = false;
  #idleMs = IDLE_MS;
  /** Body bytes left: of the Content-Length, or of the current chunk. */
  #left = 0;
  #chunks: Buffer[] = [];
  #size = 0;
  #gotBytes = false;
  #settled = false;
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly conn: Conn,
    private readonly req: HttpRequest,
    private readonly resolve: (res: HttpResponse) => void,
    private readonly reject: (err: unknown) => void,
    private readonly release: (conn: Conn, reusable: boolean, idleMs: number) => void,
    /** Sends the request again on a new connection: only for a GET on a reused one. */
    private readonly retry: (() => void) | undefined,
    /** The request itself asked for the connection to close after it. */
    private readonly closeAfter: boolean,
  ) {
    this.#unsubscribe = req.abort.onAbort((reason) => {
      this.#fail(reason);
      conn.socket.destroy();
    });
  }

  onData(chunk: Buffer): void {
    if (this.#settled) return;
    this.#gotBytes = true;
    this.#buf = this.#buf === undefined ? chunk : Buffer.concat([this.#buf, chunk]);
    try {
      this.#parse();
    } catch (err) {
      this.#fail(err);
      this.conn.socket.destroy();
    }
  }

  /** The server closed its side (or the socket closed): the end of a body that runs to the close. */
  onEnd(): void {
    if (this.#state === State.UntilClose) this.#succeed(false);
    else this.onError(new Error("the server closed the connection before the end of the response"));
  }

  onError(err: unknown): void {
    if (this.#settled) return;
    if (!this.#gotBytes && this.retry && !this.req.abort.aborted) {
      this.#settle();
      this.retry();
      return;
    }
    this.#fail(err);
  }

  #parse(): void {
    const buf = this.#buf as Buffer;
    let at = 0;
    let more = true; // false: the next step needs bytes that have not come yet
    while (more && !this.#settled) {
      switch (this.#state) {
        case State.Head: {
          const end = buf.indexOf(HEAD_END, at);
          if (end < 0 ? buf.length - at > MAX_HEAD_BYTES : end - at > MAX_HEAD_BYTES) {
            throw new Error(`response head over ${MAX_HEAD_BYTES} bytes`);
          }
          if (end < 0) more = false;
          else {
            this.#head(buf.toString("utf8", at, end));
            at = end + 4;
            if ((this.#state as State) === State.Done) this.#succeed(this.#keepAlive && at === buf.length);
          }
          break;
        }
        case State.Length:
        case State.ChunkData: {
          const n = Math.min(this.#left, buf.length - at);
          if (n === 0) {
            more = false;
            break;
          }
          this.#body(buf.subarray(at, at + n));
          at += n;
          this.#left -= n;
          if (this.#left > 0 || this.#settled) break;
          if (this.#state === State.ChunkData) this.#state = State.ChunkEnd;
          else this.#succeed(this.#keepAlive && at === buf.length);
          break;
        }
        case State.ChunkSize: {
          const eol = buf.indexOf(CRLF, at);
          if (eol < 0) {
            if (buf.length - at > 1024) throw new Error("invalid chunked body: chunk size line too long");
            more = false;
            break;
          }
          const text = buf.toString("latin1", at, eol);
          const semi = text.indexOf(";");
          const hex = (semi < 0 ? text : text.slice(0, semi)).trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) throw new Error("invalid chunked body: bad chunk size");
          this.#left = Number.parseInt(hex, 16);
          this.#state = this.#left === 0 ? State.Trailers : State.ChunkData;
          at = eol + 2;
          break;
        }
        case State.ChunkEnd: {
          if (buf.length - at < 2) {
            more = false;
            break;
          }
          if (buf[at] !== 13 || buf[at + 1] !== 10)
            throw new Error("invalid chunked body: no CRLF after a chunk");
          at += 2;
          this.#state = State.ChunkSize;
          break;
        }
        case State.Trailers: {
          const eol = buf.indexOf(CRLF, at);
          if (eol < 0) {
            if (buf.length - at > MAX_HEAD_BYTES) throw new Error("invalid chunked body: trailers too long");
            more = false;
            break;
          }
          const empty = eol === at;
          at = eol + 2;
          if (empty) this.#succeed(this.#keepAlive && at === buf.length);
          break;
        }
        case State.UntilClose:
          this.#body(at === 0 ? buf : buf.subarray(at));
          at = buf.length;
          more = false;
          break;
        case State.Done:
          more = false;
          break;
      }
    }
    if (!this.#settled) this.#buf = at >= buf.length ? undefined : at === 0 ? buf : buf.subarray(at);
  }

  #head(text: string): void {
    const lines = text.split("\r\n");
    const m = STATUS_LINE.exec(lines[0] ?? "");
    if (!m)
      throw new Error(`invalid HTTP response: status line ${JSON.stringify((lines[0] ?? "").slice(0, 100))}`);
    const status = Number(m[2]);
    let length: string | undefined;
    let encoding = "";
    let connection = "";
    let keepAlive = "";
    // Only the headers that frame the message are read here; the rest when asked (NetResponse.header).
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i] as string;
      const colon = line.indexOf(":");
      const name = colon > 0 ? line.slice(0, colon) : "";
      if (!HEADER_NAME.test(name))
        throw new Error(`invalid HTTP response: header line ${JSON.stringify(line.slice(0, 100))}`);
      // connection and keep-alive (10 characters), content-length (14), transfer-encoding (17).
      if (name.length !== 10 && name.length !== 14 && name.length !== 17) continue;
      const lower = name.toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (lower === "content-length") {
        for (const v of value.split(",")) {
          const n = v.trim();
          if (!/^\d{1,15}$/.test(n) || (length !== undefined && n !== length)) {
            throw new Error(`invalid HTTP response: Content-Length ${JSON.stringify(value.slice(0, 40))}`);
          }
          length = n;
        }
      } else if (lower === "transfer-encoding") {
        encoding += `${encoding ? "," : ""}${value.toLowerCase()}`;
      } else if (lower === "connection") connection += `,${value}`;
      else if (lower === "keep-alive") keepAlive = value;
    }
    if (status < 200) {
      if (status === 101) throw new Error("the server switched protocols (101): not an HTTP answer");
      return; // 100 Continue, 103 Early Hints: the answer follows
    }
    this.#status = status;
    this.#lines = lines;
    this.#keepAlive = m[1] === "1" ? !CLOSE_TOKEN.test(connection) : KEEP_ALIVE_TOKEN.test(connection);
    const timeout = /(?:^|[\s,])timeout=(\d+)/i.exec(keepAlive);
    if (timeout) this.#idleMs = Math.min(IDLE_MS, Number(timeout[1]) * 1000 - IDLE_MARGIN_MS);
    if (status === 204 || status === 304) {
      this.#state = State.Done;
    } else if (encoding) {
      // RFC 9112 §6.3: chunked last means chunked; any other coding runs to the close. A
      // Content-Length beside it is ignored and the connection is not reused.
      this.#keepAlive &&= length === undefined;
      if (/(?:^|,)\s*chunked\s*$/.test(encoding)) this.#state = State.ChunkSize;
      else this.#state = State.UntilClose;
    } else if (length !== undefined) {
      this.#left = Number(length);
      this.#state = this.#left === 0 ? State.Done : State.Length;
    } else {
      this.#state = State.UntilClose;
    }
  }

  #body(bytes: Buffer): void {
    const room = this.req.maxBodyBytes - this.#size;
    if (bytes.length > room) {
      this.#chunks.push(bytes.subarray(0, room));
      this.#size += room;
      this.#succeed(false, true);
      // The rest is not read: the connection closes (an endless body cannot hang a hook).
      this.conn.socket.destroy();
      return;
    }
    if (bytes.length > 0) {
      this.#chunks.push(bytes);
      this.#size += bytes.length;
    }
  }

  #succeed(reusable: boolean, truncated = false): void {
    if (this.#settled) return;
    this.#settle();
    this.release(this.conn, reusable && !truncated && !this.closeAfter, this.#idleMs);
    this.resolve(
      new NetResponse(
        this.#status,
        this.#lines,
        this.#size === 0
          ? ""
          : truncated
            ? decodeCut(Buffer.concat(this.#chunks, this.#size), true)
            : this.#chunks.length === 1
              ? (this.#chunks[0] as Buffer).toString("utf8")
              : Buffer.concat(this.#chunks, this.#size).toString("utf8"),
        truncated,
      ),
    );
  }

  #fail(err: unknown): void {
    if (this.#settled) return;
    this.#settle();
    this.release(this.conn, false, 0);
    this.reject(err);
  }

  #settle(): void {
    this.#settled = true;
    this.#buf = undefined;
    this.#unsubscribe?.();
    if (this.conn.exchange === this) this.conn.exchange = undefined;
  }
}

/** A response; its headers are looked up in the head's lines when asked (the engine asks for Location only). */
class NetResponse implements HttpResponse {
  constructor(
    readonly status: number,
    readonly lines: readonly string[],
    readonly body: string,
    readonly truncated: boolean,
  ) {}

  /** The first header of that name, as Node's and undici's parsers keep it: trimmed. */
  header(name: string): string | undefined {
    const wanted = name.toLowerCase();
    for (let i = 1; i < this.lines.length; i++) {
      const line = this.lines[i] as string;
      const colon = line.indexOf(":");
      if (colon === wanted.length && line.slice(0, colon).toLowerCase() === wanted) {
        return line.slice(colon + 1).trim();
      }
    }
    return undefined;
  }
}

/** Headers that say how long the request is: the client sets them from the body, as Go's (the kubelet's) does. */
const FRAMING = new Set(["content-length", "transfer-encoding", "trailer"]);

function requestHead(req: HttpRequest, url: URL): { text: string; close: boolean } {
  let head = `${req.method} ${url.pathname}${url.search} HTTP/1.1\r\n`;
  let hasHost = false;
  let close = false;
  for (const [name, value] of req.headers) {
    const lower = name.toLowerCase();
    if (FRAMING.has(lower)) continue;
    if (lower === "host") hasHost = true;
    else if (lower === "connection") close ||= CLOSE_TOKEN.test(value);
    head += `${name}: ${value}\r\n`;
  }
  if (!hasHost) head = `${head}host: ${url.host}\r\n`;
  const text =
    req.body === undefined
      ? `${head}\r\n`
      : `${head}content-length: ${Buffer.byteLength(req.body)}\r\n\r\n${req.body}`;
  return { text, close };
}

/** A name or value that could end the header line would let a header inject others (the spec's rules). */
function checkHeaders(headers: ReadonlyArray<readonly [string, string]>): void {
  for (const [name, value] of headers) {
    if (!HEADER_NAME.test(name)) throw new Error(`invalid header name ${JSON.stringify(name)}`);
    if (BAD_HEADER_VALUE.test(value))
      throw new Error(`invalid value for header ${name}: a control character`);
  }
}

/** dns.lookup, refusing a name when any of its addresses is in HOOKD_DENY_CIDRS. */
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
