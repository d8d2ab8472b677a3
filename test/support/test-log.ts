import { Writable } from "node:stream";
import type { NodeLogger } from "../../src/platform/node/deps.ts";
import { createStdoutLogger } from "../../src/platform/node/stdout-log.ts";

/** HOOKD_TEST_LOGS=1 shows the JSON log lines of the services a test runs in its own process. */
export const SHOW_SERVICE_LOGS = process.env.HOOKD_TEST_LOGS === "1";

/**
 * The logger of a service a test starts in-process: hookd's own JSON-lines logger, writing to a
 * sink, so that `npm test` prints results rather than thousands of log lines (to stdout too, as
 * in production, with HOOKD_TEST_LOGS=1). `onLine` sees each line a test wants to check.
 */
export function serviceLog(onLine?: (line: string) => void): NodeLogger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (onLine) for (const line of chunk.toString().split("\n")) if (line !== "") onLine(line);
      if (SHOW_SERVICE_LOGS) process.stdout.write(chunk);
      done();
    },
  });
  return createStdoutLogger(sink);
}

/** A serviceLog whose lines are also kept, parsed, in `records`. */
export function recordingServiceLog(): { log: NodeLogger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  return { log: serviceLog((line) => records.push(JSON.parse(line) as Record<string, unknown>)), records };
}

/**
 * For an entry that logs to stdout by design and takes no logger (the Lambda entry, loaded as the
 * Lambda runtime loads it): its JSON log lines are dropped, unless HOOKD_TEST_LOGS=1, until the
 * returned function restores stdout. Anything else written to stdout passes.
 */
export function quietServiceStdout(): () => void {
  const original = process.stdout.write;
  if (SHOW_SERVICE_LOGS) return () => {};
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (String(chunk).startsWith('{"time"')) return true;
    return original.call(process.stdout, chunk, ...rest);
  }) as typeof process.stdout.write;
  return () => {
    process.stdout.write = original;
  };
}
