import type { DockerApi } from "../../platform/node/docker-api.ts";
import { errorText, LABEL } from "../../schema/labels.ts";

/** One container `start` from the engine's event stream. */
export interface ContainerStartEvent {
  id: string;
  /** The engine's event time in nanoseconds since the epoch, as text (it does not fit a double). */
  timeNano: string;
}

export interface EventStreamOptions {
  signal: AbortSignal;
  /** The stream is up; `since` is set when it resumed after a loss. */
  onConnected(since: string | undefined): void;
  /** The stream broke or could not be opened; the next try follows after `retryInMs`. */
  onDisconnected(reason: string, retryInMs: number): void;
  /** More label filters (`KEY` or `KEY=VALUE`), all of which a container must match. */
  labels?: string[];
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
}

/**
 * Container starts of labelled containers, for as long as `signal` is not aborted. Starts that
 * happened before the first connection are not reported. When the engine goes away (or restarts),
 * the stream reconnects with backoff and resumes with `since` = the last event's time, or the time
 * it was first up: a start is reported at least once, and the engine repeats the last event, which
 * callers deduplicate by (id, timeNano).
 */
export async function* containerStarts(
  api: DockerApi,
  options: EventStreamOptions,
): AsyncGenerator<ContainerStartEvent> {
  const initialMs = options.reconnectInitialMs ?? 250;
  const maxMs = options.reconnectMaxMs ?? 5_000;
  let retryMs = initialMs;
  let watermark: string | undefined;
  const filters = JSON.stringify({
    type: ["container"],
    event: ["start"],
    label: [LABEL.lifecycle, ...(options.labels ?? [])],
  });
  while (!options.signal.aborted) {
    const since = watermark;
    try {
      const query = `filters=${encodeURIComponent(filters)}${since ? `&since=${since}` : ""}`;
      const res = await api.request({
        method: "GET",
        path: `/events?${query}`,
        signal: options.signal,
        stream: true,
      });
      if (res.statusCode !== 200) {
        const text = await res.body.text();
        throw new Error(`GET /events answered ${res.statusCode}: ${text.trim().slice(0, 200)}`);
      }
      watermark ??= nanosToSince(`${BigInt(Date.now()) * 1_000_000n}`);
      retryMs = initialMs;
      options.onConnected(since);
      let pending = "";
      for await (const chunk of res.body) {
        pending += String(chunk);
        let newline = pending.indexOf("\n");
        while (newline >= 0) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          newline = pending.indexOf("\n");
          const event = line === "" ? undefined : parseStartEvent(line);
          if (!event) continue;
          watermark = nanosToSince(event.timeNano);
          yield event;
        }
      }
      if (!options.signal.aborted) throw new Error("the engine closed the event stream");
    } catch (err) {
      if (options.signal.aborted) return;
      options.onDisconnected(errorText(err), retryMs);
      await abortableDelay(retryMs, options.signal);
      retryMs = Math.min(maxMs, retryMs * 2);
    }
  }
}

function parseStartEvent(line: string): ContainerStartEvent | undefined {
  let parsed: { Type?: unknown; Action?: unknown; id?: unknown; Actor?: { ID?: unknown } };
  try {
    parsed = JSON.parse(line) as typeof parsed;
  } catch {
    return undefined;
  }
  if (parsed.Type !== "container" || parsed.Action !== "start") return undefined;
  const id = typeof parsed.Actor?.ID === "string" ? parsed.Actor.ID : parsed.id;
  // JSON.parse would round timeNano to a double: read the digits from the text.
  const timeNano = /"timeNano"\s*:\s*(\d+)/.exec(line)?.[1];
  if (typeof id !== "string" || !timeNano) return undefined;
  return { id, timeNano };
}

/** The engine's `since` format: seconds, a dot, nine digits of nanoseconds. */
export function nanosToSince(timeNano: string): string {
  const padded = timeNano.padStart(10, "0");
  return `${padded.slice(0, -9)}.${padded.slice(-9)}`;
}

/** Waits `ms`, or less if `signal` aborts first; never rejects. */
export function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
