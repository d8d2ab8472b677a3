import type { Dispatcher } from "undici";
import { Pool } from "undici";

/**
 * A thin Docker Engine API client over its socket (DOCKER_HOST: unix:// or tcp://), with undici.
 * No docker CLI, no shelling out. Callers build the endpoints they need on `request`/`json`.
 */
export interface DockerApi {
  /** A raw request; the caller reads (or dumps) the body. */
  request(options: {
    method: Dispatcher.HttpMethod;
    path: string;
    body?: unknown;
    signal?: AbortSignal;
    /** Long-lived streams (/events, attached exec) must not time out between chunks. */
    stream?: boolean;
    /** The answer's head must come within this (default DOCKER_CALL_TIMEOUT_MS); a stop takes its grace period. */
    timeoutMs?: number;
  }): Promise<Dispatcher.ResponseData>;
  /** A JSON request; a non-2xx answer throws DockerApiError with Docker's message. */
  json<T>(method: Dispatcher.HttpMethod, path: string, body?: unknown, signal?: AbortSignal): Promise<T>;
  close(): Promise<void>;
}

export class DockerApiError extends Error {
  override name = "DockerApiError";
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** The engine's error body is `{"message": "…"}`; older engines and proxies answer plain text. */
export function dockerErrorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === "string") return parsed.message;
  } catch {
    // plain text
  }
  return text.trim();
}

export const DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock";

/**
 * The engine answers a call in milliseconds; one that accepts the connection and then says
 * nothing for this long is stuck, and the caller is told so, naming the call.
 */
export const DOCKER_CALL_TIMEOUT_MS = 10_000;

const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT", "UND_ERR_CONNECT_TIMEOUT"]);

export function createDockerApi(
  dockerHost: string = process.env.DOCKER_HOST || DEFAULT_DOCKER_HOST,
): DockerApi {
  let client: Pool;
  if (dockerHost.startsWith("unix://")) {
    client = new Pool("http://docker", {
      socketPath: dockerHost.slice("unix://".length),
      connections: null,
      keepAliveTimeout: 30_000,
    });
  } else if (dockerHost.startsWith("tcp://") || dockerHost.startsWith("http://")) {
    client = new Pool(dockerHost.replace(/^tcp:/, "http:"), { connections: null, keepAliveTimeout: 30_000 });
  } else {
    throw new Error(
      `DOCKER_HOST "${dockerHost}" is not supported: use unix:///path/to/docker.sock or tcp://host:port`,
    );
  }
  const request: DockerApi["request"] = async (o) => {
    const timeoutMs = o.timeoutMs ?? DOCKER_CALL_TIMEOUT_MS;
    try {
      return await client.request({
        method: o.method,
        path: o.path,
        headers: o.body === undefined ? {} : { "content-type": "application/json" },
        ...(o.body !== undefined && { body: JSON.stringify(o.body) }),
        ...(o.signal && { signal: o.signal }),
        headersTimeout: timeoutMs,
        bodyTimeout: o.stream ? 0 : timeoutMs,
      });
    } catch (err) {
      const code = (err as { code?: unknown })?.code;
      if (typeof code === "string" && TIMEOUT_CODES.has(code)) {
        throw new Error(
          `Docker engine at ${dockerHost}: ${o.method} ${o.path.split("?")[0]}: no answer within ${timeoutMs / 1000}s`,
          { cause: err },
        );
      }
      throw err;
    }
  };
  return {
    request,
    async json<T>(
      method: Dispatcher.HttpMethod,
      path: string,
      body?: unknown,
      signal?: AbortSignal,
    ): Promise<T> {
      const res = await request({ method, path, body, ...(signal && { signal }) });
      const text = await res.body.text();
      if (res.statusCode < 200 || res.statusCode > 299) {
        throw new DockerApiError(
          res.statusCode,
          `Docker ${method} ${path}: ${res.statusCode} ${dockerErrorMessage(text)}`,
        );
      }
      return (text === "" ? undefined : JSON.parse(text)) as T;
    },
    close: () => client.close(),
  };
}
