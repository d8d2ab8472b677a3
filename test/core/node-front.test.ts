import { type AddressInfo, connect, createServer as createNetServer, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeServer } from "../../src/entry/node.ts";
import { createNodeDeps } from "../../src/platform/node/deps.ts";
import { hookRunFront } from "../../src/platform/node/hook-front.ts";
import { startService, startTarget, type TestTarget } from "../support/servers.ts";
import { until } from "../support/wait.ts";

/**
 * The Node service's front door (platform/node/hook-front.ts) serves plain `POST /v1/hooks/run`
 * requests straight from the socket and hands everything else, with the bytes already read, to
 * Node's http server. These tests speak raw HTTP/1.1 to it: keep-alive, pipelining, requests cut
 * into pieces, and the requests it must hand over (node-route.test.ts compares the answers).
 */

const TOKEN = "front-token";

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A raw connection that collects the answers it gets, parsed by their Content-Length. */
class Conn {
  readonly socket: Socket;
  readonly replies: Reply[] = [];
  closed = false;
  #buf = "";

  constructor(port: number) {
    this.socket = connect(port, "127.0.0.1");
    this.socket.on("error", () => {});
    this.socket.on("close", () => {
      this.closed = true;
    });
    this.socket.on("data", (d: Buffer) => {
      this.#buf += d.toString("latin1");
      for (;;) {
        const end = this.#buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        const [statusLine = "", ...lines] = this.#buf.slice(0, end).split("\r\n");
        const headers: Record<string, string> = {};
        for (const l of lines) {
          const i = l.indexOf(":");
          headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
        }
        const length = Number(headers["content-length"] ?? 0);
        if (this.#buf.length < end + 4 + length) return;
        const body = Buffer.from(this.#buf.slice(end + 4, end + 4 + length), "latin1").toString("utf8");
        this.#buf = this.#buf.slice(end + 4 + length);
        this.replies.push({ status: Number(statusLine.split(" ")[1]), headers, body });
      }
    });
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  async replied(n: number): Promise<Reply[]> {
    await until(`${n} answers`, () => this.replies.length >= n, 5000);
    return this.replies;
  }
}

/** A hook request's JSON: an httpGet of `path` on 127.0.0.1:`port`. */
function hookJson(port: number, path: string, phase = "postStart"): string {
  return JSON.stringify({
    phase,
    handler: { httpGet: { port, path } },
    container: { name: "web", ip: "127.0.0.1" },
  });
}

/** A plain `POST /v1/hooks/run` (the kind the front door serves), `extra` header lines added. */
function rawHook(body: string, extra = ""): string {
  return `POST /v1/hooks/run HTTP/1.1\r\nHost: hookd\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

/** A service with `env` and a target that answers each request with its path, for one describe. */
function serviceWithTarget(env: Record<string, string>) {
  const made = {} as { svc: NodeServer; target: TestTarget; port: number };
  beforeAll(async () => {
    made.target = await startTarget((req, res) => res.writeHead(200).end(req.url));
    made.svc = await startService(env);
    made.port = Number(new URL(made.svc.url).port);
  });
  afterAll(async () => {
    await made.svc.close();
    await made.target.close();
  });
  return made;
}

describe("the Node service's front door", () => {
  const setup = serviceWithTarget({ HOOKD_TOKEN: TOKEN });

  const hookBody = (path: string) => hookJson(setup.target.port, path);
  const hook = (path: string, extra = "") => rawHook(hookBody(path), extra);
  const outputOf = (r: Reply) => (JSON.parse(r.body) as { output: string }).output;

  it("answers hook after hook on one kept-alive connection", async () => {
    const c = new Conn(setup.port);
    for (let i = 1; i <= 5; i++) {
      c.send(hook(`/n${i}`));
      await c.replied(i);
    }
    expect(c.replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(c.replies.map(outputOf)).toEqual(["/n1", "/n2", "/n3", "/n4", "/n5"]);
    expect(c.replies[0]?.headers).toMatchObject({
      "content-type": "application/json",
      connection: "keep-alive",
      "keep-alive": "timeout=5",
    });
    expect(c.replies[0]?.headers.date).toMatch(/GMT$/);
    expect(c.closed).toBe(false);
    c.socket.destroy();
  });

  it("answers pipelined requests in order, and a request that arrives a byte at a time", async () => {
    const c = new Conn(setup.port);
    c.send(hook("/first") + hook("/second"));
    await c.replied(2);
    const slow = Buffer.from(hook("/third"));
    for (let i = 0; i < slow.length; i++) c.send(slow.subarray(i, i + 1));
    await c.replied(3);
    expect(c.replies.map(outputOf)).toEqual(["/first", "/second", "/third"]);
    c.socket.destroy();
  });

  it("hands a connection to Node's http server for another route, mid-connection, bytes and all", async () => {
    const c = new Conn(setup.port);
    c.send(`${hook("/before")}GET /healthz HTTP/1.1\r\nHost: hookd\r\n\r\n${hook("/after")}`);
    await c.replied(3);
    expect(outputOf(c.replies[0] as Reply)).toBe("/before");
    expect(JSON.parse((c.replies[1] as Reply).body)).toMatchObject({ status: "ok" });
    // Once handed over, the connection stays with the http server, which still runs hooks.
    expect(outputOf(c.replies[2] as Reply)).toBe("/after");
    c.socket.destroy();
  });

  it("hands over what it does not serve, and the http server answers it as before", async () => {
    const body = hookBody("/handed");
    // `contract: false`: Node's own HTTP parser refuses the request (a bare 400, as before the front).
    const cases: Array<{ what: string; request: string; status: number; contract?: false }> = [
      {
        what: "a chunked upload",
        request: `POST /v1/hooks/run HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer ${TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`,
        status: 200,
      },
      {
        what: "HTTP/1.0",
        request: `POST /v1/hooks/run HTTP/1.0\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        status: 200,
      },
      { what: "a wrong token", request: hook("/x").replace(TOKEN, "nope"), status: 401 },
      {
        what: "invalid JSON",
        request: rawHook("{"),
        status: 400,
      },
      {
        what: "a control character in a header value",
        request: hook("/x", "X-Odd: a\x01b\r\n"),
        status: 400,
        contract: false,
      },
    ];
    for (const { what, request, status, contract } of cases) {
      const c = new Conn(setup.port);
      c.send(request);
      const [reply] = await c.replied(1);
      expect(reply?.status, what).toBe(status);
      if (status === 200) expect(outputOf(reply as Reply), what).toBe("/handed");
      else if (contract !== false)
        expect(JSON.parse((reply as Reply).body), what).toMatchObject({
          error: { code: expect.any(String) },
        });
      c.socket.destroy();
    }
  });

  it("takes header values with spaces and tabs around them, as Node's parser does", async () => {
    const c = new Conn(setup.port);
    c.send(
      hook("/spaced").replace(`Authorization: Bearer ${TOKEN}`, `Authorization: \t Bearer ${TOKEN} \t `),
    );
    const [reply] = await c.replied(1);
    expect(outputOf(reply as Reply)).toBe("/spaced");
    c.socket.destroy();
  });

  it("drops the requests queued behind a running hook when its client goes away", async () => {
    const seen: string[] = [];
    const slow = await startTarget((req, res) => {
      seen.push(req.url ?? "");
      setTimeout(() => res.writeHead(200).end(), 300);
    });
    const c = new Conn(setup.port);
    c.send(rawHook(hookJson(slow.port, "/one")) + rawHook(hookJson(slow.port, "/two")));
    await until("the first hook to reach its target", () => seen.length === 1, 2000);
    c.socket.destroy();
    await new Promise((r) => setTimeout(r, 600));
    expect(seen).toEqual(["/one"]);
    await slow.close();
  });

  it("closes the connection after its answer when the client says Connection: close", async () => {
    const c = new Conn(setup.port);
    c.send(hook("/bye", "Connection: close\r\n"));
    const [reply] = await c.replied(1);
    expect(reply?.headers.connection).toBe("close");
    await until("the connection to close", () => c.closed, 2000);
  });

  it("closes a kept-alive connection after 5 s idle", { timeout: 15_000 }, async () => {
    const c = new Conn(setup.port);
    c.send(hook("/idle"));
    await c.replied(1);
    await new Promise((r) => setTimeout(r, 4000));
    expect(c.closed).toBe(false);
    await until("the idle connection to close", () => c.closed, 4000);
  });
});

describe("the front door: what Node's side refuses, it hands over at once", () => {
  let svc: NodeServer;
  let port: number;
  beforeAll(async () => {
    svc = await startService({ HOOKD_TOKEN: TOKEN });
    port = Number(new URL(svc.url).port);
  });
  afterAll(() => svc.close());

  it("answers bytes that are no HTTP request at once, not at a timeout", async () => {
    for (const garbage of [
      "hello\r\n",
      Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]),
      "POST /v1/hooks/run HTTP/1.1\nHost: h\n",
    ]) {
      const c = new Conn(port);
      const started = Date.now();
      c.send(garbage);
      await until("an answer or a close", () => c.replies.length > 0 || c.closed, 3000);
      expect(Date.now() - started).toBeLessThan(3000);
      if (c.replies[0]) expect(c.replies[0].status).toBe(400);
      c.socket.destroy();
    }
  });

  it("answers a Host that Node's side cannot read with 400 in the contract's shape", async () => {
    for (const host of ["h:99999", "a@b", "h/x", "[::"]) {
      const c = new Conn(port);
      c.send(rawHook(hookJson(1, "/")).replace("Host: hookd", `Host: ${host}`));
      const [reply] = await c.replied(1);
      expect(reply?.status, host).toBe(400);
      expect(JSON.parse((reply as Reply).body), host).toMatchObject({ error: { code: "bad_request" } });
      c.socket.destroy();
    }
  });
});

describe("the front door without a token (loopback only)", () => {
  const setup = serviceWithTarget({ HOOKD_TOKEN: "" });

  const open = (body: string, host: string, extra = "") =>
    `POST /v1/hooks/run HTTP/1.1\r\nHost: ${host}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;

  it("serves a request from this machine, and refuses a web page's: an Origin, or a Host that is not loopback", async () => {
    const body = hookJson(setup.target.port, "/open");
    const c = new Conn(setup.port);
    c.send(open(body, `127.0.0.1:${setup.port}`));
    c.send(open(body, `localhost:${setup.port}`));
    c.send(open(body, `[::1]:${setup.port}`));
    const ok = await c.replied(3);
    expect(ok.map((r) => r.status)).toEqual([200, 200, 200]);
    for (const [host, extra] of [
      [`127.0.0.1:${setup.port}`, "Origin: https://evil.example\r\n"],
      [`127.0.0.1:${setup.port}`, "Origin: null\r\n"],
      ["evil.example", ""],
      [`evil.example:${setup.port}`, ""],
      // Through Node's side too (a chunked upload is handed over): the same answer.
      [`127.0.0.1:${setup.port}`, "Origin: https://evil.example\r\nTransfer-Encoding: chunked\r\n"],
    ] as const) {
      const r = new Conn(setup.port);
      const chunked = extra.includes("chunked");
      r.send(
        chunked
          ? `POST /v1/hooks/run HTTP/1.1\r\nHost: ${host}\r\nContent-Type: text/plain\r\n${extra}\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`
          : open(body, host, extra),
      );
      const [reply] = await r.replied(1);
      expect(reply?.status, `${host} ${extra}`).toBe(403);
      expect(JSON.parse((reply as Reply).body)).toMatchObject({
        error: { code: "refused_without_token", message: expect.stringMatching(/HOOKD_TOKEN/) },
      });
      r.socket.destroy();
    }
    expect(setup.target.requests.map((q) => q.url)).toEqual(["/open", "/open", "/open"]);
  });
});

describe("the front door at shutdown", () => {
  it("does not wait for a request that stopped coming", async () => {
    const svc = await startService({ HOOKD_TOKEN: TOKEN });
    const c = new Conn(Number(new URL(svc.url).port));
    c.send("POST /v1/hooks/run HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n");
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await svc.close();
    expect(Date.now() - started).toBeLessThan(3000);
    await until("the connection to close", () => c.closed, 2000);
  });

  it("lets a hook in flight finish, and closes idle connections", async () => {
    const target = await startTarget((req, res) => {
      setTimeout(() => res.writeHead(200).end(req.url), 500);
    });
    const svc = await startService({ HOOKD_TOKEN: TOKEN });
    const port = Number(new URL(svc.url).port);
    const busy = new Conn(port);
    const idle = new Conn(port);
    idle.send("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n");
    await idle.replied(1);
    busy.send(rawHook(hookJson(target.port, "/slow", "preStop")));
    await until("the hook to reach its target", () => target.requests.length === 1, 2000);
    const closing = svc.close();
    await until("the idle connection to close", () => idle.closed, 2000);
    const [reply] = await busy.replied(1);
    expect(reply?.status).toBe(200);
    expect(reply?.headers.connection).toBe("close");
    expect(JSON.parse((reply as Reply).body)).toMatchObject({ outcome: "succeeded", output: "/slow" });
    await closing;
    // The service's side is closed once close() returns; the client sees it a moment later.
    await until("the busy connection to close", () => busy.closed, 2000);
    await target.close();
  });
});

describe("what the front door serves itself", () => {
  it("serves plain hook requests and hands over the rest with every byte it read", async () => {
    const target = await startTarget((req, res) => res.writeHead(200).end(req.url));
    const deps = createNodeDeps({ HOOKD_TOKEN: TOKEN });
    const handed: string[] = [];
    const front = hookRunFront(deps, (socket) => {
      let seen = "";
      socket.on("data", (d: Buffer) => {
        seen += d.toString("latin1");
        if (seen.endsWith("\r\n\r\n")) {
          handed.push(seen);
          socket.destroy();
        }
      });
    });
    const server = createNetServer(front.onConnection);
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    const c = new Conn(port);
    c.send(rawHook(hookJson(target.port, "/mine")));
    const [reply] = await c.replied(1);
    expect(JSON.parse((reply as Reply).body)).toMatchObject({ outcome: "succeeded", output: "/mine" });
    expect(handed).toEqual([]);
    c.send("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n");
    await until("the hand-over", () => handed.length === 1, 2000);
    expect(handed[0]).toBe("GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n");
    front.stop();
    await new Promise((r) => server.close(r));
    await deps.close();
    await target.close();
  });
});
