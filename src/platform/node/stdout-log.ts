import type { Logger } from "../ports.ts";

/** Lines wait at most this long, so a burst of results costs one write instead of one each. */
const FLUSH_AFTER_MS = 20;
const FLUSH_AT_BYTES = 64 * 1024;

/**
 * JSON lines on stdout, written in batches off the request's path: a write per result was a
 * measurable share of the hook path (bench/README.md). `flush` is called on graceful shutdown.
 */
export function createStdoutLogger(
  stream: NodeJS.WritableStream = process.stdout,
): Logger & { flush(): void } {
  let pending: string[] = [];
  let pendingBytes = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0) return;
    const text = pending.join("");
    pending = [];
    pendingBytes = 0;
    stream.write(text);
  };
  return {
    write(record) {
      const line = `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`;
      pending.push(line);
      pendingBytes += line.length;
      if (pendingBytes >= FLUSH_AT_BYTES) flush();
      else if (!timer) {
        timer = setTimeout(flush, FLUSH_AFTER_MS);
        // A pending log line alone does not keep the process alive; shutdown paths call flush.
        timer.unref();
      }
    },
    flush,
  };
}
