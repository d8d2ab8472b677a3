import type { AbortHandle } from "../platform/ports.ts";

const nothing = () => undefined;

/**
 * A hook's abort: runHook aborts it when the deadline wins, and whatever the handler started
 * stops. Not an AbortSignal, because on Node 20 registering a listener with one costs more than
 * the rest of the hook's own bookkeeping (bench/README.md); a web signal is made only when asked.
 */
export class HookAbort implements AbortHandle {
  aborted = false;
  reason: unknown = undefined;
  #stops: Array<(reason: unknown) => void> | undefined;
  #controller: AbortController | undefined;

  onAbort(stop: (reason: unknown) => void): () => void {
    if (this.aborted) {
      stop(this.reason);
      return nothing;
    }
    const stops = this.#stops ?? [];
    this.#stops = stops;
    stops.push(stop);
    return () => {
      const i = stops.indexOf(stop);
      if (i >= 0) stops.splice(i, 1);
    };
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.aborted) this.#controller.abort(this.reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.#controller?.abort(reason);
    const stops = this.#stops ?? [];
    this.#stops = undefined;
    // A copy: a stop may unsubscribe itself (or another) while the list is walked.
    for (const stop of [...stops]) stop(reason);
  }
}
