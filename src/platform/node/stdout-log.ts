import type { Logger } from "../ports.ts";

/** Lines wait at most this long, so a burst of results costs one write instead of one each. */
const FLUSH_AFTER_MS = 20;
const FLUSH_AT_RECORDS = 256;

function line(time: number, record: Record<string, unknown>): string {
  const at = new Date(time).toISOString();
  try {
    return `${JSON.stringify({ time: at, ...record })}\n`;
  } catch (err) {
    // Serialized in a timer now: a record JSON cannot hold must not take the process down.
    return `${JSON.stringify({ time: at, level: "error", msg: "log record not serializable", error: String(err) })}\n`;
  }
}

/**
 * JSON lines on stdout, written in batches off the request's path: a write per result was a
 * measurable share of the hook path (bench/README.md). Records are serialized when the batch is
 * written, after the answers have gone out; the time is taken when they are logged. Callers hand
 * over fresh objects and do not change them afterwards. `flush` is called on graceful shutdown.
 */
export function createStdoutLogger(
  stream: NodeJS.WritableStream = process.stdout,
): Logger & { flush(): void } {
  let pending: Array<{ time: number; record: Record<string, unknown> }> = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    let text = "";
    for (const { time, record } of pending) text += line(time, record);
    pending = [];
    stream.write(text);
  };
  return {
    write(record) {
      pending.push({ time: Date.now(), record });
      if (pending.length >= FLUSH_AT_RECORDS) flush();
      else if (!timer) {
        timer = setTimeout(flush, FLUSH_AFTER_MS);
        // A pending log line alone does not keep the process alive; shutdown paths call flush.
        timer.unref();
      }
    },
    flush,
  };
}
