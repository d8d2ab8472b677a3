import type { Store } from "./port.ts";

/** What one flush of the results outbox did, for the log line of the caller. */
export interface FlushReport {
  /** Acknowledged by the receiver (2xx): removed from the outbox. */
  delivered: number;
  /** Failed, tried again later per the backoff schedule. */
  retried: number;
  /** Given up (410, or 24 h of failures): removed, logged. */
  dropped: number;
}

/**
 * Sends the outbox's due entries (contract §7, results delivery). Called where no timer lives:
 * by the Lambda's one-minute schedule (`{"hookd":"flush-outbox"}`) and by the Durable Object's
 * alarm. The results-delivery work fills this in; until then no entry is ever written, so there
 * is nothing to send.
 */
export async function flushOutbox(_store: Store | undefined): Promise<FlushReport> {
  return { delivered: 0, retried: 0, dropped: 0 };
}
