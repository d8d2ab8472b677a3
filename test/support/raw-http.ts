import type { Agent } from "node:http";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { expect } from "vitest";

export interface Answer {
  status: number;
  contentType: string;
  text: string;
}

/** One request with exact bytes and headers (fetch would fix up what we want to get wrong). */
export function send(
  base: string,
  method: string,
  path: string,
  options: {
    body?: Buffer;
    contentType?: string | undefined;
    chunked?: boolean;
    /** The Authorization header; undefined: none. */
    auth?: string | undefined;
    /** Default: a connection per request, so that a socket the service closed after a 413 is never reused. */
    agent?: Agent;
    /** More headers, written as they are (Host and Origin included, which fetch would set itself). */
    headers?: Record<string, string>;
  } = {},
): Promise<Answer> {
  const { hostname, port } = new URL(base);
  const headers: Record<string, string> = { ...options.headers };
  if (options.auth !== undefined) headers.authorization = options.auth;
  if (options.contentType !== undefined) headers["content-type"] = options.contentType;
  const body = options.body;
  if (body && !options.chunked) headers["content-length"] = String(body.length);
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = request({ hostname, port, path, method, headers, agent: options.agent ?? false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: String(res.headers["content-type"] ?? ""),
          text: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      res.on("error", reject);
    });
    // The service may answer (413) and close before the whole body is written: the answer counts.
    req.on("error", (err) => {
      if (!answered) reject(err);
    });
    if (body && options.chunked) {
      // Without Content-Length: Transfer-Encoding chunked, in two pieces.
      const half = Math.floor(body.length / 2);
      req.write(body.subarray(0, half));
      req.end(body.subarray(half));
    } else req.end(body);
  });
}

/** No 5xx, ever; every 4xx is the contract's error body. */
export function expectContractAnswer(answer: Answer, what: string): void {
  const context = `${what}: ${answer.status} ${answer.text.slice(0, 300)}`;
  expect(answer.status, context).toBeLessThan(500);
  expect(answer.contentType, context).toMatch(/^application\/json/);
  const body = JSON.parse(answer.text) as unknown;
  if (answer.status >= 400) {
    expect(body, context).toEqual({
      error: {
        code: expect.any(String),
        message: expect.any(String),
        issues: expect.any(Array),
      },
    });
    const { issues } = (body as { error: { issues: unknown[] } }).error;
    for (const issue of issues)
      expect(issue, context).toEqual({ path: expect.any(String), message: expect.any(String) });
  }
}

/** A loopback port with nothing listening: hooks fail at once with ECONNREFUSED. */
export async function closedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
