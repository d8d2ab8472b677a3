import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import { type AppDeps, serviceAuth } from "../../http/app.ts";
import { bearerRefusal } from "../../http/auth.ts";
import { decodeUtf8, MAX_BODY_BYTES, parseJsonBody } from "../../http/body.ts";
import { errorPayload } from "../../http/errors.ts";
import {
  HOOK_RUN_PATH,
  type RunHookRequest,
  RunHookRequestSchema,
  runHookRequest,
} from "../../http/routes/hooks.ts";
import { BAD_HEADER_VALUE, HEADER_NAME } from "../../spec/lifecycle.ts";
import { CLOSE_TOKEN, HEAD_END, MAX_HEAD_BYTES } from "./http1.ts";

/** As Node's http server: the idle keep-alive time, the head and request times. */
const KEEP_ALIVE_MS = 5_000;
const HEADERS_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 300_000;
/** Past this much unread input while a hook runs, reading pauses until its answer is written. */
const MAX_BUFFERED_BYTES = MAX_BODY_BYTES + MAX_HEAD_BYTES;
/** How every request the front serves begins: anything else is handed over as soon as it differs. */
const REQUEST_START = Buffer.from(`POST ${HOOK_RUN_PATH}`, "latin1");
/** Below this much of a head, a request line that has not ended is looked at as it comes. */
const REQUEST_LINE_BYTES = 256;
const REQUEST_LINE = new RegExp(
  `^POST ${HOOK_RUN_PATH.replaceAll("/", "\\/")}(?:\\?[\\x21-\\x7e]*)? HTTP\\/1\\.1$`,
);

export interface Front {
  /** Takes a new connection: serves what it can, hands the rest to Node's http server. */
  onConnection(socket: Socket): void;
  /** Graceful shutdown: idle connections close now, busy ones after their answer. */
  stop(): void;
}

/**
 * The Node service's front door: `POST /v1/hooks/run` read and answered straight from the socket,
 * with no http.IncomingMessage, ServerResponse or stream per hook — the largest cost left on the
 * hook path once the hook's own HTTP client was lean (bench/README.md).
 *
 * It serves only the plain case: an HTTP/1.1 POST with a Content-Length of at most 1 MiB, the
 * right token, and a body that is valid JSON and a valid request. Anything else — another route,
 * a chunked upload, Expect, HTTP/1.0, a wrong token, a bad body, a head it does not like — and the
 * connection, with every byte read so far, goes to Node's http server (`handOff`), where the
 * Hono app answers it as it does on every runtime (including every error). Both paths call the
 * same auth check, body parser, validation and engine; test/core/node-route.test.ts holds their
 * answers equal.
 */
export function hookRunFront(deps: AppDeps, handOff: (socket: Socket) => void): Front {
  const auth = serviceAuth(deps);
  const conns = new Set<FrontConn>();
  let stopping = false;

  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const c of conns) c.sweep(now);
    if (stopping && conns.size === 0) clearInterval(sweeper);
  }, 1000).unref();

  class FrontConn {
    #parts: Buffer[] = [];
    #size = 0;
    /** Where the head ends and how long the whole request is, once the head is read. */
    #bodyAt = -1;
    #total = 0;
    #close = false;
    #busy = false;
    #paused = false;
    /** The answer that closes the connection is written: nothing more is read. */
    #ended = false;
    /** Bytes of the current head already searched for its end. */
    #searched = 0;
    /** When the request being read began (0: between requests), and when the socket last did anything. */
    #requestAt = 0;
    #activeAt = Date.now();
    readonly #onData = (chunk: Buffer) => this.#data(chunk);

    constructor(readonly socket: Socket) {
      socket.setNoDelay(true);
      socket.on("data", this.#onData);
      socket.on("error", () => socket.destroy());
      socket.on("close", () => conns.delete(this));
    }

    /** Closes the connection if it has been idle too long (or the service is stopping), or its request is too slow. */
    sweep(now: number): void {
      if (this.#ended) {
        // Its last answer is written; a client that neither reads it nor closes is dropped.
        if (now - this.#activeAt > KEEP_ALIVE_MS) this.socket.destroy();
        return;
      }
      if (this.#busy) return;
      if (this.#requestAt === 0) {
        if (stopping || now - this.#activeAt > KEEP_ALIVE_MS) this.socket.destroy();
      } else if (stopping && now - this.#activeAt >= 1000) {
        // At shutdown, a request that stopped coming is not waited for (a hook in flight is).
        this.socket.destroy();
      } else if (now - this.#requestAt > (this.#bodyAt < 0 ? HEADERS_TIMEOUT_MS : REQUEST_TIMEOUT_MS)) {
        this.#ended = true;
        this.socket.end(
          "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
          () => this.socket.destroy(),
        );
      }
    }

    #data(chunk: Buffer): void {
      if (this.#ended || this.socket.destroyed) return;
      this.#activeAt = Date.now();
      if (this.#requestAt === 0) this.#requestAt = this.#activeAt;
      this.#parts.push(chunk);
      this.#size += chunk.length;
      if (this.#busy) {
        if (this.#size > MAX_BUFFERED_BYTES && !this.#paused) {
          this.#paused = true;
          this.socket.pause();
        }
        return;
      }
      this.#next();
    }

    /** All that was read and not yet served, as one buffer. */
    #joined(): Buffer {
      if (this.#parts.length > 1) this.#parts = [Buffer.concat(this.#parts, this.#size)];
      return this.#parts[0] as Buffer;
    }

    /**
     * Where the head ends, or -1: searches only the bytes that came since the last search (and
     * the 3 before them), so that a head sent a byte at a time costs no more than one sent whole.
     */
    #headEnd(): number {
      const from = Math.max(0, this.#searched - 3);
      this.#searched = this.#size;
      let base = 0;
      let i = 0;
      while (base + (this.#parts[i] as Buffer).length <= from) base += (this.#parts[i++] as Buffer).length;
      const part = this.#parts[i] as Buffer;
      if (i === this.#parts.length - 1) {
        const at = part.indexOf(HEAD_END, from - base);
        return at < 0 ? -1 : base + at;
      }
      const window = Buffer.concat([part.subarray(from - base), ...this.#parts.slice(i + 1)]);
      const at = window.indexOf(HEAD_END);
      return at < 0 ? -1 : from + at;
    }

    #next(): void {
      if (this.#size === 0 || this.socket.destroyed) return;
      if (this.#bodyAt < 0) {
        const end = this.#headEnd();
        if (end < 0) {
          // Bytes that cannot become a plain hook request (another route, a TLS hello, bare LF
          // line ends) go to Node's parser now, which answers them at once, not at a timeout.
          if (this.#size > MAX_HEAD_BYTES || !this.#mayBeHook()) this.#handOff();
          return;
        }
        const length =
          end > MAX_HEAD_BYTES ? undefined : this.#head(this.#joined().toString("latin1", 0, end));
        if (length === undefined) {
          this.#handOff();
          return;
        }
        this.#bodyAt = end + 4;
        this.#total = end + 4 + length;
      }
      if (this.#size < this.#total) return;
      const buf = this.#joined();
      let request: RunHookRequest;
      try {
        request = parseJsonBody(
          decodeUtf8([buf.subarray(this.#bodyAt, this.#total)], this.#total - this.#bodyAt),
          RunHookRequestSchema,
        );
      } catch {
        this.#handOff(); // Node's route answers the same 400, from the same bytes
        return;
      }
      // The request is ours: what follows it (a pipelined request) stays for the next turn.
      this.#parts = this.#total < buf.length ? [buf.subarray(this.#total)] : [];
      this.#size = buf.length - this.#total;
      this.#bodyAt = -1;
      this.#searched = 0;
      this.#busy = true;
      runHookRequest(request, deps.engine).then(
        (result) => this.#answer(200, JSON.stringify(result)),
        (err: unknown) => {
          // runHook turns every failure into a result; anything else gets the route's error body.
          const { status, body } = errorPayload(err);
          this.#close = true;
          this.#answer(status, JSON.stringify(body));
        },
      );
    }

    /** Whether the head read so far may still be a plain POST /v1/hooks/run: its start, and its request line once ended. */
    #mayBeHook(): boolean {
      const start =
        this.#parts.length === 1 || this.#size > REQUEST_LINE_BYTES
          ? (this.#parts[0] as Buffer)
          : this.#joined();
      const n = Math.min(start.length, REQUEST_START.length);
      if (start.compare(REQUEST_START, 0, n, 0, n) !== 0) return false;
      const lf = start.indexOf(10);
      if (lf < 0) return true;
      return lf > 0 && start[lf - 1] === 13 && REQUEST_LINE.test(start.toString("latin1", 0, lf - 1));
    }

    /** The body's length if this head is one the front serves (it says nothing otherwise). */
    #head(head: string): number | undefined {
      const lines = head.split("\r\n");
      if (!REQUEST_LINE.test(lines[0] ?? "")) return undefined;
      let length: string | undefined;
      // Headers that may come once: another of the same name is Node's to judge.
      const once: { authorization?: string; host?: string; origin?: string } = {};
      let close = false;
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i] as string;
        const colon = line.indexOf(":");
        const name = line.slice(0, colon);
        if (colon < 0 || !HEADER_NAME.test(name)) return undefined;
        const value = trimOws(line.slice(colon + 1));
        if (BAD_HEADER_VALUE.test(value)) return undefined;
        const lower = name.toLowerCase();
        switch (lower) {
          case "content-length":
            if (length !== undefined || !/^\d{1,7}$/.test(value)) return undefined;
            length = value;
            break;
          case "authorization":
          case "host":
          case "origin":
            if (once[lower] !== undefined) return undefined;
            once[lower] = value;
            break;
          case "connection":
            close ||= CLOSE_TOKEN.test(value);
            break;
          case "transfer-encoding":
          case "expect":
          case "upgrade":
            return undefined;
        }
      }
      const n = Number(length);
      if (
        length === undefined ||
        n > MAX_BODY_BYTES ||
        once.host === undefined ||
        !hostAccepted(once.host) ||
        bearerRefusal(once.authorization, auth, once) !== undefined
      )
        return undefined;
      this.#close = close;
      return n;
    }

    #answer(status: number, json: string): void {
      this.#busy = false;
      this.#activeAt = Date.now();
      // The client went away while its hook ran: the result is logged, and its queued requests are dropped.
      if (this.socket.destroyed) return;
      const close = this.#close || stopping;
      try {
        this.socket.write(
          `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nDate: ${httpDate()}\r\n${close ? "Connection: close\r\n" : `Connection: keep-alive\r\nKeep-Alive: timeout=${KEEP_ALIVE_MS / 1000}\r\n`}\r\n${json}`,
        );
        if (close) {
          this.#ended = true;
          this.socket.end(() => this.socket.destroy());
          return;
        }
        // A pipelined request already under way is timed from now, not from while the hook ran.
        this.#requestAt = this.#size > 0 ? this.#activeAt : 0;
        if (this.#paused) {
          this.#paused = false;
          this.socket.resume();
        }
        this.#next();
      } catch (err) {
        console.error(JSON.stringify({ level: "error", msg: "answer not sent", error: String(err) }));
        this.socket.destroy();
      }
    }

    /** Gives the connection and every unserved byte to Node's http server. */
    #handOff(): void {
      conns.delete(this);
      const socket = this.socket;
      if (socket.destroyed) return;
      socket.pause();
      socket.off("data", this.#onData);
      if (this.#size > 0) socket.unshift(this.#joined());
      this.#parts = [];
      this.#size = 0;
      handOff(socket);
      socket.resume();
    }
  }

  return {
    onConnection(socket) {
      if (stopping) {
        socket.destroy();
        return;
      }
      conns.add(new FrontConn(socket));
    },
    stop() {
      stopping = true;
      for (const c of conns) c.sweep(Date.now());
    },
  };
}

/** Strips the spaces and tabs around a header value (not String.trim, which strips more than HTTP does). */
function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && (value.charCodeAt(start) === 32 || value.charCodeAt(start) === 9)) start++;
  while (end > start && (value.charCodeAt(end - 1) === 32 || value.charCodeAt(end - 1) === 9)) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

let dateSecond = -1;
let dateText = "";

/** The Date header, made once a second (as Node's http server does). */
function httpDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

/** Host values already judged, by the rule @hono/node-server applies (a few per service). */
const hostsSeen = new Map<string, boolean>();

/**
 * Whether Node's side would take this Host (@hono/node-server refuses one the URL parser reads
 * otherwise, e.g. "h:99999", "a@b", "127.1"): a Host it refuses is handed over and answered there.
 */
function hostAccepted(host: string): boolean {
  let ok = hostsSeen.get(host);
  if (ok === undefined) {
    try {
      const url = new URL(`http://${host}/`);
      ok = url.hostname.length === host.length || url.hostname === host.replace(/:\d+$/, "");
    } catch {
      ok = false;
    }
    if (hostsSeen.size >= 256) hostsSeen.clear();
    hostsSeen.set(host, ok);
  }
  return ok;
}
