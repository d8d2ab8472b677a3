import type { Logger } from "../platform/ports.ts";
import { createResultsDelivery, type FlushReport } from "./delivery.ts";
import type { Store } from "./port.ts";

export type { FlushReport } from "./delivery.ts";

/** HOOKD_RESULTS_URL and HOOKD_RESULTS_SECRET as the settings hold them (both or neither). */
export interface ResultsSettings {
  resultsUrl: string | undefined;
  resultsSecret: string | undefined;
}

/**
 * Sends the outbox's due entries (contract §7, results delivery) where no timer lives: the
 * Lambda's one-minute schedule (`{"hookd":"flush-outbox"}`) and the Durable Object's alarm.
 * Without a results URL nothing is ever written to the outbox, so there is nothing to send.
 */
export async function flushOutbox(
  store: Store | undefined,
  settings: ResultsSettings,
  log: Logger,
): Promise<FlushReport> {
  if (!store || !settings.resultsUrl || !settings.resultsSecret)
    return { delivered: 0, retried: 0, dropped: 0 };
  return createResultsDelivery({
    store,
    url: settings.resultsUrl,
    secret: settings.resultsSecret,
    log,
  }).flush();
}
