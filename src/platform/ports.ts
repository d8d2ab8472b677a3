/**
 * Ports: what the portable code (spec, engine, http) needs from its runtime. Each has one
 * implementation per runtime (undici on Node, fetch on Workers), chosen by the entry file.
 */

export interface HttpRequest {
  method: "GET" | "POST";
  /** A URL the caller already parsed is taken as it is (and not kept after the request settles). */
  url: string | URL;
  /** Pairs, so that a header may repeat. */
  headers: Array<[string, string]>;
  body?: string;
  /** Aborts the request (the hook's deadline passed). */
  signal: AbortSignal;
  /** Read at most this many bytes of the body, then drop the rest. */
  maxBodyBytes: number;
}

export interface HttpResponse {
  status: number;
  header(name: string): string | undefined;
  /** The first `maxBodyBytes` bytes of the body, decoded as UTF-8. */
  body: string;
  truncated: boolean;
}

export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>;
  close?(): Promise<void>;
}

/** One JSON line per record, written off the hot path where the runtime allows. */
export interface Logger {
  write(record: Record<string, unknown>): void;
}

/** The request's execution context on Workers (and any runtime that has one). */
export interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * Work that must outlive the response (EventBridge wants its answer fast). Routes pass the
 * request's context (see `waitUntilOf` in http/) so that Workers keep the isolate alive.
 */
export interface BackgroundRunner {
  /**
   * `onAbandon` runs if a shutdown gives up on `work` before it settles: the one place to undo
   * what the work had taken (release its claims, so that a redelivery runs it).
   */
  run(work: Promise<unknown>, ctx: WaitUntil | undefined, onAbandon?: () => Promise<void> | void): void;
}
