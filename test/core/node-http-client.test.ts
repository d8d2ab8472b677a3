import { type AddressInfo, createServer, type Server, type Socket } from "node:net";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { HookAbort } from "../../src/engine/abort.ts";
import { createNodeHttpClient } from "../../src/platform/node/net-http.ts";
import type { HttpClient, HttpRequest } from "../../src/platform/ports.ts";
import { until } from "../support/wait.ts";

/**
 * The Node HTTP client (platform/node/net-http.ts) against servers that write exact bytes: the
 * framings, reuse rules and failures that node:http servers in the other tests never produce.
 */

interface RawServer {
  port: number;
  /** Connections accepted so far. */
  connections: Socket[];
  /** Request heads received so far, in order. */
  heads: string[];
}

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

/** A TCP server on 127.0.0.1 that calls `answer` with each request head it reads. */
async function rawServer(answer: (socket: Socket, head: string, index: number) => void): Promise<RawServer> {
  const state: RawServer = { port: 0, connections: [], heads: [] };
  const server = createServer((socket) => {
    state.connections.push(socket);
    socket.on("error", () => {});
    let buf = "";
    socket.on("data", (d) => {
      buf += d.toString("latin1");
      for (let end = buf.indexOf("\r\n\r\n"); end >= 0; end = buf.indexOf("\r\n\r\n")) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        state.heads.push(head);
        answer(socket, head, state.heads.length - 1);
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  state.port = (server.address() as AddressInfo).port;
  return state;
}

/** Writes `parts` one after the other, each in its own packet-sized write a few ms apart. */
function writeSlowly(socket: Socket, parts: string[], then?: () => void): void {
  const [first, ...rest] = parts;
  if (first === undefined) {
    then?.();
    return;
  }
  socket.write(first);
  setTimeout(() => writeSlowly(socket, rest, then), 5);
}

let client: HttpClient;
afterEach(async () => {
  await client?.close?.();
});

function get(port: number, path = "/", extra: Partial<HttpRequest> = {}) {
  client ??= createNodeHttpClient({ denyCidrs: [] });
  return client.request({
    method: "GET",
    url: `http://127.0.0.1:${port}${path}`,
    headers: [["accept", "*/*"]],
    abort: new HookAbort(),
    maxBodyBytes: 10 * 1024,
    ...extra,
  });
}

/** A POST of `{}` (as the exec client sends its JSON), through the same client as get(). */
function post(port: number, path = "/run", extra: Partial<HttpRequest> = {}) {
  return get(port, path, { method: "POST", headers: [], body: "{}", maxBodyBytes: 100, ...extra });
}

function fresh(): HttpClient {
  client = createNodeHttpClient({ denyCidrs: [] });
  return client;
}

describe("Node HTTP client: response framing", () => {
  it("reads a Content-Length body that arrives a few bytes at a time, and sends Host and the headers given", async () => {
    fresh();
    const srv = await rawServer((s) =>
      writeSlowly(s, ["HTTP/1.1 200 OK\r\nContent-Le", "ngth: 11\r\n\r\nhello", " world"]),
    );
    const res = await get(srv.port, "/a?b=1");
    expect(res).toMatchObject({ status: 200, body: "hello world", truncated: false });
    expect(srv.heads[0]).toBe(`GET /a?b=1 HTTP/1.1\r\naccept: */*\r\nhost: 127.0.0.1:${srv.port}`);
  });

  it("decodes a chunked body with extensions and trailers, split at awkward places", async () => {
    fresh();
    const srv = await rawServer((s) =>
      writeSlowly(s, [
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r",
        "\nhel",
        "lo\r\n6\r\n world\r",
        "\n0\r\nX-Trailer: yes\r\n",
        "\r\n",
      ]),
    );
    const res = await get(srv.port);
    expect(res.body).toBe("hello world");
    // The connection was left clean: the next request reuses it.
    expect((await get(srv.port)).body).toBe("hello world");
    expect(srv.connections).toHaveLength(1);
  });

  it("reads a body without length to the close, and does not reuse that connection", async () => {
    fresh();
    const srv = await rawServer((s) =>
      writeSlowly(s, ["HTTP/1.1 200 OK\r\n\r\nuntil ", "the end"], () => s.end()),
    );
    expect((await get(srv.port)).body).toBe("until the end");
    expect((await get(srv.port)).body).toBe("until the end");
    expect(srv.connections).toHaveLength(2);
  });

  it("skips 1xx answers, and returns the first of repeated headers", async () => {
    fresh();
    const srv = await rawServer((s) =>
      s.write(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n" +
          "HTTP/1.1 302 Found\r\nLocation: /one\r\nLocation: /two\r\nContent-Length: 0\r\n\r\n",
      ),
    );
    const res = await get(srv.port);
    expect(res.status).toBe(302);
    expect(res.header("Location")).toBe("/one");
    expect(res.body).toBe("");
  });

  it("takes a URL its caller already parsed, path and query as they are", async () => {
    fresh();
    const srv = await rawServer((s) => s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    const url = new URL(`http://127.0.0.1:${srv.port}/a%20b?c=1&d`);
    expect(await get(srv.port, "/", { url })).toMatchObject({ status: 200, body: "ok" });
    expect(srv.heads[0]?.split("\r\n")[0]).toBe("GET /a%20b?c=1&d HTTP/1.1");
  });

  it("looks a header up when asked: the first of that name, in any case, trimmed", async () => {
    fresh();
    const srv = await rawServer((s) =>
      s.write(
        "HTTP/1.1 302 Found\r\nlocation: /a\r\nLOCATION: /b\r\nX-Thing: \t v \t\r\nContent-Length: 0\r\n\r\n",
      ),
    );
    const res = await get(srv.port);
    expect(res.status).toBe(302);
    expect(res.header("Location")).toBe("/a");
    expect(res.header("x-thing")).toBe("v");
    expect(res.header("x-thin")).toBeUndefined();
    expect(res.header("content-length")).toBe("0");
  });

  it("drops a character split by the maxBodyBytes cut instead of mangling it", async () => {
    fresh();
    const body = `${"a".repeat(10 * 1024 - 1)}€tail`;
    const srv = await rawServer((s) =>
      s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`),
    );
    expect(await get(srv.port)).toMatchObject({ truncated: true, body: "a".repeat(10 * 1024 - 1) });
  });

  it("takes 204 and 304 answers as bodiless", async () => {
    fresh();
    const srv = await rawServer((s, _h, i) => s.write(`HTTP/1.1 ${i === 0 ? 204 : 304} X\r\n\r\n`));
    expect(await get(srv.port)).toMatchObject({ status: 204, body: "" });
    expect(await get(srv.port)).toMatchObject({ status: 304, body: "" });
    expect(srv.connections).toHaveLength(1);
  });

  it("stops reading at maxBodyBytes, even from an endless chunked body, and closes that connection", async () => {
    fresh();
    const srv = await rawServer((s) => {
      s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
      const timer = setInterval(() => s.write(`400\r\n${"x".repeat(1024)}\r\n`), 1);
      s.on("close", () => clearInterval(timer));
    });
    const res = await get(srv.port);
    expect(res).toMatchObject({ status: 200, truncated: true });
    expect(res.body).toBe("x".repeat(10 * 1024));
    await until("the endless connection to close", () => srv.connections[0]?.destroyed === true, 2000);
  });
});

/** How many connections `requests` GETs in a row take against a server that answers each with `head` and "ok". */
async function connectionsFor(head: string, requests = 2): Promise<number> {
  const srv = await rawServer((s) => s.write(`${head}\r\nContent-Length: 2\r\n\r\nok`));
  for (let i = 0; i < requests; i++) await get(srv.port);
  return srv.connections.length;
}

describe("Node HTTP client: connections", () => {
  it("keeps a connection alive across requests, and honours Connection: close and HTTP/1.0", async () => {
    fresh();
    expect(await connectionsFor("HTTP/1.1 200 OK", 3)).toBe(1);
    expect(await connectionsFor("HTTP/1.1 200 OK\r\nConnection: close")).toBe(2);
    expect(await connectionsFor("HTTP/1.0 200 OK")).toBe(2);
  });

  it("reads Connection tokens in any case, from every Connection header", async () => {
    fresh();
    expect(await connectionsFor("HTTP/1.0 200 OK\r\nConnection: Keep-Alive")).toBe(1);
    expect(
      await connectionsFor("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nconnection: x-foo ,\tCLOSE"),
    ).toBe(2);
  });

  it("opens a connection per request in flight: no per-origin cap queues one behind another", async () => {
    fresh();
    const srv = await rawServer((s) =>
      setTimeout(() => s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"), 300),
    );
    const all = await Promise.all(Array.from({ length: 100 }, () => get(srv.port)));
    expect(all.every((r) => r.status === 200)).toBe(true);
    // A hundred at once on a hundred connections: none waited for another's.
    expect(srv.connections).toHaveLength(100);
  });

  it("sends a GET again on a new connection when the server closed the idle one it reused", async () => {
    fresh();
    // Each connection answers once, and closes without a word when a second request comes on it:
    // the server's idle close crossing our next request on the wire.
    const served = new WeakSet<Socket>();
    const srv = await rawServer((s) => {
      if (served.has(s)) return void s.destroy();
      served.add(s);
      s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    });
    await get(srv.port);
    const res = await get(srv.port);
    expect(res.body).toBe("ok");
    expect(srv.heads).toHaveLength(3);
    expect(srv.connections).toHaveLength(2);
    // A POST is not sent again: the server may have acted on it. It goes on the connection the
    // retry opened, which closes on its second request.
    const again = post(srv.port);
    await expect(again).rejects.toThrow(/closed the connection/);
    expect(srv.connections).toHaveLength(2);
  });

  it("does not keep a connection past the server's Keep-Alive timeout", async () => {
    fresh();
    // timeout=1 leaves no safe window (one second is kept as margin): each request gets its own.
    expect(await connectionsFor("HTTP/1.1 200 OK\r\nKeep-Alive: timeout=1")).toBe(2);
  });

  it("does not keep the process alive for its idle connections", async () => {
    fresh();
    const srv = await rawServer((s) => s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    await get(srv.port);
    const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
    const ours = handles.filter(
      (h) =>
        (h as { remotePort?: number }).remotePort === srv.port &&
        (h as { _handle?: { hasRef?(): boolean } })._handle?.hasRef?.(),
    );
    expect(ours).toHaveLength(0);
  });
});

describe("Node HTTP client: the request's own headers", () => {
  it("does not send framing headers of its user (a GET has no body), and honours its Connection: close", async () => {
    fresh();
    const srv = await rawServer((s) => s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    const headers: Array<[string, string]> = [
      ["Content-Length", "5"],
      ["Transfer-Encoding", "chunked"],
      ["Trailer", "x"],
      ["Connection", "close"],
    ];
    expect((await get(srv.port, "/", { headers })).body).toBe("ok");
    expect(srv.heads[0]).toBe(`GET / HTTP/1.1\r\nConnection: close\r\nhost: 127.0.0.1:${srv.port}`);
    await get(srv.port);
    expect(srv.connections).toHaveLength(2);
  });

  it("does not reuse a connection the server closed while it was idle, even for a POST", async () => {
    fresh();
    // Answers, then closes its side a moment later without having said so (an idle timeout).
    const srv = await rawServer((s) => {
      s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      setTimeout(() => s.end(), 50);
    });
    await get(srv.port);
    // The server's socket is gone once our side has seen its close and closed too.
    await until("the idle connection to close", () => srv.connections[0]?.destroyed === true, 2000);
    const res = await post(srv.port);
    expect(res.body).toBe("ok");
    expect(srv.connections).toHaveLength(2);
  });
});

describe("Node HTTP client: failures", () => {
  it("fails clearly on a response that is not HTTP", async () => {
    fresh();
    const srv = await rawServer((s) => s.write("SSH-2.0-OpenSSH_9.6\r\n\r\n"));
    await expect(get(srv.port)).rejects.toThrow(/invalid HTTP response: status line "SSH-2.0/);
  });

  it("fails on a response head over 16 KiB, a bad chunk size and a bad Content-Length", async () => {
    fresh();
    const huge = await rawServer((s) => s.write(`HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`));
    await expect(get(huge.port)).rejects.toThrow(/response head over 16384 bytes/);
    const chunk = await rawServer((s) =>
      s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
    );
    await expect(get(chunk.port)).rejects.toThrow(/bad chunk size/);
    const length = await rawServer((s) => s.write("HTTP/1.1 200 OK\r\nContent-Length: 2, 3\r\n\r\nok"));
    await expect(get(length.port)).rejects.toThrow(/Content-Length/);
  });

  it("fails when the server closes in the middle of a body", async () => {
    fresh();
    const srv = await rawServer((s) => s.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part"));
    await expect(get(srv.port)).rejects.toThrow(/closed the connection before the end of the response/);
  });

  it("stops at once when aborted, with the abort's reason, and drops the connection", async () => {
    fresh();
    const srv = await rawServer(() => {}); // never answers
    const abort = new HookAbort();
    const pending = get(srv.port, "/", { abort });
    await until("the request to arrive", () => srv.heads.length === 1, 1000);
    abort.abort(new Error("hook deadline passed"));
    await expect(pending).rejects.toThrow("hook deadline passed");
    await until("the connection to close", () => srv.connections[0]?.readableEnded === true, 1000);
  });

  it("refuses a header that would end its line, or any control character but a tab, before connecting", async () => {
    fresh();
    const srv = await rawServer((s) => s.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
    for (const value of ["1\r\nx-injected: 2", "a\u0001b", "\u007f"]) {
      await expect(get(srv.port, "/", { headers: [["x-a", value]] })).rejects.toThrow(
        /invalid value for header x-a: a control character/,
      );
    }
    expect((await get(srv.port, "/", { headers: [["x-a", "a\tb"]] })).status).toBe(200);
    expect(srv.connections).toHaveLength(1);
    await expect(get(srv.port, "/", { headers: [["bad name", "1"]] })).rejects.toThrow(/invalid header name/);
    expect(srv.connections).toHaveLength(1);
  });

  it("sends a POST body with its length", async () => {
    fresh();
    let received = "";
    const server = createServer((socket) => {
      socket.on("data", (d) => {
        received += d.toString("utf8");
        if (received.endsWith('{"é":1}')) socket.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    const res = await post(port, "/run", {
      headers: [["content-type", "application/json"]],
      body: '{"é":1}',
    });
    expect(res.status).toBe(200);
    expect(received).toBe(
      `POST /run HTTP/1.1\r\ncontent-type: application/json\r\nhost: 127.0.0.1:${port}\r\ncontent-length: 8\r\n\r\n{"é":1}`,
    );
  });
});
