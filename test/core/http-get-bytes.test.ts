import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeServer } from "../../src/entry/node.ts";
import { post, startService } from "../support/servers.ts";

const TOKEN = "test-token";
/** The hooks' deadline: far above the bound each answer must come within. */
const DEADLINE_SECONDS = 30;
/** "Fails fast": a generous bound for a loaded machine, still far below the deadline. */
const FAST_MS = 5_000;

interface RawTarget {
  port: number;
  /** What each connection was sent, as text. */
  received: string[];
  close(): Promise<void>;
}

/**
 * A TCP server on 127.0.0.1 that answers each request with exactly `bytes` and keeps the
 * connection open (a keep-alive server would): only the bytes can end the hook, not a close.
 */
async function rawTarget(answer: (socket: Socket) => void): Promise<RawTarget> {
  const received: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.once("data", (data: Buffer) => {
      received.push(data.toString("latin1"));
      answer(socket);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return {
    port,
    received,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const writes = (bytes: string) => (socket: Socket) => socket.write(Buffer.from(bytes, "latin1"));

describe("httpGet against answers that are not valid HTTP/1.1 (POST /v1/hooks/run, undici)", () => {
  let svc: NodeServer;
  const targets: RawTarget[] = [];
  beforeAll(async () => {
    svc = await startService({ HOOKD_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await svc.close();
    await Promise.all(targets.map((t) => t.close()));
  });

  async function hookAgainst(answer: (socket: Socket) => void, handler: Record<string, unknown> = {}) {
    const target = await rawTarget(answer);
    targets.push(target);
    const started = Date.now();
    const { status, json } = await post(
      svc.url,
      "/v1/hooks/run",
      {
        phase: "postStart",
        handler: { httpGet: { port: target.port, ...handler } },
        container: { ip: "127.0.0.1", name: "web" },
        timeoutSeconds: DEADLINE_SECONDS,
      },
      TOKEN,
    );
    expect(status).toBe(200);
    return { json, elapsed: Date.now() - started, target };
  }

  const invalid: Array<[string, string, RegExp]> = [
    [
      "a chunk size followed by a space",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n",
      /Invalid character in chunk size/,
    ],
    [
      "a chunk size preceded by a space",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 5\r\nhello\r\n0\r\n\r\n",
      /Invalid character in chunk size/,
    ],
    [
      "a chunk size followed by a tab",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\t\r\nhello\r\n0\r\n\r\n",
      /Invalid character in chunk size/,
    ],
    [
      "a control byte (0x01) in a header value",
      "HTTP/1.1 200 OK\r\nX-Note: a\x01b\r\nContent-Length: 2\r\n\r\nok",
      /Invalid header value char/,
    ],
    [
      "a NUL in a header value",
      "HTTP/1.1 200 OK\r\nX-Note: a\x00b\r\nContent-Length: 2\r\n\r\nok",
      /Invalid header value char/,
    ],
    [
      "DEL in a header value",
      "HTTP/1.1 200 OK\r\nX-Note: a\x7fb\r\nContent-Length: 2\r\n\r\nok",
      /Invalid header value char/,
    ],
    [
      "a head whose lines end in a bare LF",
      "HTTP/1.1 200 OK\nContent-Length: 2\n\nok",
      /Missing expected CR after response line/,
    ],
    ["a bare-LF head without a length", "HTTP/1.1 200 OK\n\nok", /Missing expected CR after response line/],
    [
      "Transfer-Encoding: identity",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\n\r\nok",
      /unsupported Transfer-Encoding "identity": only chunked is read/,
    ],
    [
      "Transfer-Encoding: gzip (not chunked last)",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok",
      /unsupported Transfer-Encoding "gzip"/,
    ],
    [
      "Transfer-Encoding: identity beside a Content-Length",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity\r\nContent-Length: 2\r\n\r\nok",
      /Content-Length can't be present with Transfer-Encoding/,
    ],
    ["status 000", "HTTP/1.1 000 Zero\r\nContent-Length: 2\r\n\r\nok", /status code under 100/],
    ["status 099", "HTTP/1.1 099 Low\r\nContent-Length: 2\r\n\r\nok", /status code under 100/],
    [
      "status 099 before a 200 (not an interim answer)",
      "HTTP/1.1 099 Low\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
      /status code under 100/,
    ],
    ["a four-digit status", "HTTP/1.1 1000 Big\r\nContent-Length: 2\r\n\r\nok", /Invalid response status/],
  ];

  it.each(invalid)("fails fast on %s, saying what was wrong", async (_name, bytes, problem) => {
    const { json, elapsed, target } = await hookAgainst(writes(bytes));
    expect(json).toMatchObject({ outcome: "failed", reason: "FailedPostStartHook" });
    expect(json.statusCode).toBeUndefined();
    expect(json.message).toMatch(new RegExp(`^httpGet http://127\\.0\\.0\\.1:${target.port}/: `));
    expect(json.message).toMatch(problem);
    // undici's own assertion text ("The expression evaluated to a falsy value") never shows.
    expect(json.message).not.toMatch(/falsy|assert\(/);
    expect(elapsed).toBeLessThan(FAST_MS);
  });

  it("accepts the same answers framed correctly (the patterns above are what fails)", async () => {
    for (const bytes of [
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nX-Note: a\tb\r\nContent-Length: 5\r\n\r\nhello",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    ]) {
      const { json, elapsed } = await hookAgainst(writes(bytes));
      expect(json, JSON.stringify(bytes)).toMatchObject({
        outcome: "succeeded",
        statusCode: 200,
        output: "hello",
      });
      expect(elapsed).toBeLessThan(FAST_MS);
    }
  });

  it("reads 10 KiB of a body that never ends and succeeds without waiting for the deadline", async () => {
    let tick: ReturnType<typeof setInterval> | undefined;
    const { json, elapsed } = await hookAgainst((socket) => {
      socket.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n");
      tick = setInterval(() => socket.write(`1000\r\n${"y".repeat(0x1000)}\r\n`), 5);
      socket.on("close", () => clearInterval(tick));
    });
    clearInterval(tick);
    expect(json).toMatchObject({ outcome: "succeeded", statusCode: 200 });
    expect(json.output).toBe("y".repeat(10 * 1024));
    expect(elapsed).toBeLessThan(FAST_MS);
  });

  it("retries over HTTP when the HTTPS request is answered in plain HTTP (undici's TLS error)", async () => {
    const { json, elapsed, target } = await hookAgainst(
      writes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nplain"),
      { scheme: "HTTPS", httpHeaders: [{ name: "Authorization", value: "Bearer secret" }] },
    );
    expect(json).toMatchObject({ outcome: "succeeded", statusCode: 200, output: "plain" });
    expect(json.message).toBe(`httpGet http://127.0.0.1:${target.port}/: status 200`);
    expect((json.warnings as string[]).join(" ")).toMatch(
      /answered HTTPS with plain HTTP: retried as http:\/\/127\.0\.0\.1:\d+\/ without the Authorization header/,
    );
    // The first connection got a TLS ClientHello (a handshake record, 0x16), the second a plain GET.
    expect(target.received.length).toBe(2);
    expect(target.received[0]?.charCodeAt(0)).toBe(0x16);
    expect(target.received[1]).toMatch(/^GET \/ HTTP\/1\.1\r\n/);
    expect(target.received[1]?.toLowerCase()).not.toContain("authorization");
    expect(elapsed).toBeLessThan(FAST_MS);
  });
});
