/**
 * A second reference point, not hookd: a relay on raw sockets — `net` in, `net` out, HTTP/1.1
 * read just far enough to find the body by its Content-Length, one keep-alive connection per
 * target reused, no validation, no deadline, no log. Nothing in Node relays a request for less:
 * the floor of the dispatch benchmark on this machine, measured in the same run. Dispatch
 * benchmark only (it has no deadline: a target that never answers would hang it).
 *
 * SOCKET_RELAY_ADD=zod,url,promise,timer,result,log (or `all`) adds hookd's own kinds of work to
 * it, one at a time, to size what each costs on top of the floor (bench/README.md):
 *   zod      the body validated with hookd's schema (RunHookRequestSchema)
 *   url      the target's URL built by the WHATWG parser, as the engine does
 *   promise  the GET awaited through an async function and a promise, as the engine does
 *   timer    a deadline timer made and cleared per hook (the engine's raceDeadline; with promise)
 *   result   hookd's whole result: message, warnings, startedAt as ISO text
 *   log      a log line per hook, by hookd's own batched stdout logger
 * Prints `{"port":N}` on stderr; exits when its stdin closes.
 */
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { raceDeadline } from "../src/engine/deadline.ts";
import { RunHookRequestSchema } from "../src/http/routes/hooks.ts";
import { createStdoutLogger } from "../src/platform/node/stdout-log.ts";

const FEATURES = ["zod", "url", "promise", "timer", "result", "log"] as const;
const asked = (process.env.SOCKET_RELAY_ADD ?? "").split(",").filter((f) => f !== "");
const add = new Set<string>(asked.includes("all") ? FEATURES : asked);
for (const f of add) {
  if (!(FEATURES as readonly string[]).includes(f)) throw new Error(`SOCKET_RELAY_ADD: unknown "${f}"`);
}

interface Body {
  handler: { httpGet: { port: number; path?: string } };
  container: { ip: string };
}

/** Reads one Content-Length-framed message off `buf`: its head, body and length, or undefined. */
function message(buf: string): { head: string; body: string; length: number } | undefined {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const head = buf.slice(0, end);
  const n = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
  if (buf.length < end + 4 + n) return undefined;
  return { head, body: buf.slice(end + 4, end + 4 + n), length: end + 4 + n };
}

const idle = new Map<string, Socket[]>();
/** What each connection to a target does with its next answer. */
const pending = new WeakMap<Socket, (chunk: string) => void>();

function get(ip: string, port: number, path: string, done: (status: number, body: string) => void): void {
  const key = `${ip}:${port}`;
  const pool = idle.get(key) ?? [];
  idle.set(key, pool);
  let socket = pool.pop();
  if (!socket) {
    const fresh = connect({ host: ip, port, noDelay: true }).setEncoding("latin1");
    fresh.on("error", () => {});
    fresh.on("data", (chunk: string) => pending.get(fresh)?.(chunk));
    socket = fresh;
  }
  const conn = socket;
  let buf = "";
  pending.set(conn, (chunk) => {
    buf += chunk;
    const m = message(buf);
    if (!m) return;
    pool.push(conn);
    done(Number(m.head.slice(9, 12)), m.body);
  });
  conn.write(`GET ${path} HTTP/1.1\r\nhost: ${key}\r\naccept: */*\r\n\r\n`);
}

/** `promise` and `timer`: the GET as the engine waits for it. */
async function awaited(ip: string, port: number, path: string): Promise<[number, string]> {
  const answer = new Promise<[number, string]>((resolve) =>
    get(ip, port, path, (status, text) => resolve([status, text])),
  );
  if (!add.has("timer")) return await answer;
  return (await raceDeadline(answer, 30_000)) === "done" ? answer : [0, "timed out"];
}

/** `log`: hookd's own result log, batched as the service writes it. */
const log = add.has("log") ? createStdoutLogger() : undefined;

const server = createServer({ noDelay: true }, (socket) => {
  socket.setEncoding("latin1");
  socket.on("error", () => {});
  let buf = "";
  socket.on("data", (chunk: string) => {
    buf += chunk;
    const m = message(buf);
    if (!m) return;
    buf = buf.slice(m.length);
    const started = Date.now();
    const parsed: unknown = JSON.parse(m.body);
    const body = (add.has("zod") ? RunHookRequestSchema.parse(parsed) : parsed) as Body;
    const { port, path = "/" } = body.handler.httpGet;
    const url = add.has("url") ? new URL(`http://${body.container.ip}:${port}${path}`) : undefined;
    const answer = (status: number, text: string) => {
      const ok = status >= 200 && status < 400;
      const result: Record<string, unknown> = { outcome: ok ? "succeeded" : "failed", status, output: text };
      if (add.has("result")) {
        result.message = `httpGet ${url?.href ?? path}: status ${status}`;
        result.warnings = [];
        result.startedAt = new Date(started).toISOString();
      }
      result.durationMs = Date.now() - started;
      const out = JSON.stringify(result);
      socket.write(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(out)}\r\n\r\n${out}`,
      );
      log?.write({ level: "info", msg: "hook", ...result });
    };
    const ip = url ? url.hostname : body.container.ip;
    const targetPort = url ? Number(url.port) : port;
    const targetPath = url ? url.pathname + url.search : path;
    if (add.has("promise") || add.has("timer")) {
      awaited(ip, targetPort, targetPath).then(([status, text]) => answer(status, text));
    } else get(ip, targetPort, targetPath, answer);
  });
});
server.listen({ port: 0, host: "127.0.0.1", backlog: 8192 }, () => {
  process.stderr.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
