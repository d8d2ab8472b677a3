import { Webhook } from "standardwebhooks";
import type { DeliveryOutcome } from "../platform/metrics.ts";
import type { Logger } from "../platform/ports.ts";
import type { Run } from "../schema/run.ts";
import type { OutboxEntry, Store } from "./port.ts";

/** After the first attempt fails: 5 s, 30 s, 2 min, 10 min, 1 h, then hourly (contract §7). */
export const RETRY_DELAYS_MS = [5_000, 30_000, 120_000, 600_000, 3_600_000] as const;
const HOURLY_MS = 3_600_000;
/** Deliveries stop 24 h after the run was recorded. */
export const DELIVERY_WINDOW_MS = 24 * 3_600_000;
/** An attempt without an answer within this is a failure. */
export const SEND_TIMEOUT_MS = 15_000;
/** While one instance sends an entry, no other takes it: longer than any attempt. */
const LEASE_MS = SEND_TIMEOUT_MS + 15_000; // at least the longest attempt
const BATCH = 50;
/** A 410 means the receiver is gone for good: noted in the store so that every instance stops. */
const goneKey = (url: string) => `results-url-gone ${url}`;

export interface ResultsDeliveryOptions {
  store: Store;
  url: string;
  /** `whsec_<base64>`: the key is the base64-decoded part (Standard Webhooks). */
  secret: string;
  log: Logger;
  fetch?: typeof fetch;
  now?: () => number;
  /** How long an attempt may wait for an answer (SEND_TIMEOUT_MS; shorter only in tests). */
  sendTimeoutMs?: number;
  /** Called once per attempt's outcome (the metrics' hookd_results_deliveries_total). */
  onOutcome?: (outcome: DeliveryOutcome) => void;
}

export interface ResultsDelivery {
  /** The outbox entry recorded together with `run`. */
  entryFor(run: Run): OutboxEntry;
  /** Sends every entry that is due (one batch at a time); never throws. */
  flush(): Promise<FlushReport>;
}

/** What one flush did, for the caller's log line. */
export interface FlushReport {
  /** Acknowledged by the receiver (2xx): removed from the outbox. */
  delivered: number;
  /** Failed, tried again later per the backoff schedule. */
  retried: number;
  /** Given up (410, or 24 h of failures): removed, logged. */
  dropped: number;
}

/** Results delivery per Standard Webhooks, from the store's outbox: nothing is lost to a restart. */
export function createResultsDelivery(options: ResultsDeliveryOptions): ResultsDelivery {
  const now = options.now ?? Date.now;
  const send = options.fetch ?? fetch;
  const timeoutMs = options.sendTimeoutMs ?? SEND_TIMEOUT_MS;
  const webhook = new Webhook(options.secret);
  const { store, url, log } = options;
  let flushing: Promise<FlushReport> | undefined;
  let report: FlushReport = { delivered: 0, retried: 0, dropped: 0 };

  const outcome = (o: DeliveryOutcome) => {
    if (o === "delivered") report.delivered++;
    else if (o === "retry") report.retried++;
    else report.dropped++;
    options.onOutcome?.(o);
  };

  async function attempt(entry: OutboxEntry): Promise<void> {
    const sentAt = new Date(Math.floor(now() / 1000) * 1000);
    let status: number | undefined;
    let error: string | undefined;
    try {
      const res = await send(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "webhook-id": entry.id,
          "webhook-timestamp": String(sentAt.getTime() / 1000),
          "webhook-signature": webhook.sign(entry.id, sentAt, entry.body),
        },
        body: entry.body,
        signal: AbortSignal.timeout(timeoutMs),
        redirect: "manual",
      });
      status = res.status;
      await res.body?.cancel().catch(() => undefined);
    } catch (err) {
      error =
        err instanceof Error && err.name === "TimeoutError"
          ? `no answer within ${timeoutMs / 1000}s`
          : String(err);
    }
    if (status !== undefined && status >= 200 && status < 300) {
      await store.outbox.remove(entry.id);
      outcome("delivered");
      return;
    }
    if (status === 410) {
      await store.putState(goneKey(url), true, DELIVERY_WINDOW_MS);
      await store.outbox.remove(entry.id);
      log.write({
        level: "error",
        msg: "results receiver answered 410 Gone: deliveries to it stop",
        url,
        run: entry.id,
      });
      outcome("gone");
      return;
    }
    const why = status !== undefined ? `status ${status}` : (error ?? "no answer");
    const attempts = entry.attempts + 1;
    const dueAt = now() + (RETRY_DELAYS_MS[attempts - 1] ?? HOURLY_MS);
    if (dueAt - entry.createdAt > DELIVERY_WINDOW_MS) {
      await store.outbox.remove(entry.id);
      log.write({
        level: "error",
        msg: "results delivery given up after 24 h",
        url,
        run: entry.id,
        attempts,
        why,
      });
      outcome("expired");
      return;
    }
    await store.outbox.reschedule(entry.id, dueAt, attempts);
    log.write({
      level: "warn",
      msg: "results delivery failed, will retry",
      url,
      run: entry.id,
      attempts,
      why,
      retryAt: new Date(dueAt).toISOString(),
    });
    outcome("retry");
  }

  async function flushOnce(): Promise<void> {
    for (;;) {
      const due = await store.outbox.takeDue(now(), BATCH, LEASE_MS);
      if (due.length === 0) return;
      if (await store.getState(goneKey(url))) {
        for (const entry of due) await store.outbox.remove(entry.id);
        report.dropped += due.length;
        log.write({
          level: "warn",
          msg: "results not delivered: the receiver answered 410 Gone",
          url,
          dropped: due.length,
        });
        continue;
      }
      await Promise.all(due.map((entry) => attempt(entry)));
      if (due.length < BATCH) return;
    }
  }

  return {
    entryFor(run) {
      const body = JSON.stringify({
        type: "hook.result",
        timestamp: new Date(now()).toISOString(),
        data: run,
      });
      const createdAt = Date.parse(run.time);
      return { id: run.id, body, createdAt, dueAt: createdAt, attempts: 0 };
    },
    flush() {
      // One flush at a time per instance; a call while one runs shares its report.
      flushing ??= flushOnce()
        .catch((err: unknown) => {
          log.write({ level: "error", msg: "results delivery: the store failed", error: String(err) });
        })
        .then(() => report)
        .finally(() => {
          flushing = undefined;
          report = { delivered: 0, retried: 0, dropped: 0 };
        });
      return flushing;
    },
  };
}
