/**
 * A second reference point, not hookd: a relay on raw sockets — `net` in, `net` out, HTTP/1.1
 * read just far enough to find the body by its Content-Length, one keep-alive connection per
 * target reused, no validation, no deadline, no log. Nothing in Node relays a request for less:
 * the floor of the dispatch benchmark on this machine, measured in the same run. Dispatch
 * benchmark only (it has no deadline: a target that never answers would hang it).
 * Prints `{"port":N}` on stderr; exits when its stdin closes.
 */
import { type AddressInfo, connect, createServer, type Socket } from "node:net";

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
    const body = JSON.parse(m.body) as Body;
    const { port, path = "/" } = body.handler.httpGet;
    get(body.container.ip, port, path, (status, text) => {
      const out = JSON.stringify({
        outcome: status >= 200 && status < 400 ? "succeeded" : "failed",
        status,
        output: text,
        durationMs: Date.now() - started,
      });
      socket.write(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(out)}\r\n\r\n${out}`,
      );
    });
  });
});
server.listen({ port: 0, host: "127.0.0.1", backlog: 8192 }, () => {
  process.stderr.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
