import { Writable } from "node:stream";
import { stripVTControlCharacters } from "node:util";
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

/** A hookd JSON log line (a Worker's arrives with the colour codes of the runner's terminal). */
function isServiceLogLine(line: string): boolean {
  return stripVTControlCharacters(line).startsWith('{"time"');
}

/**
 * For code that logs to stdout by design and takes no logger: the Lambda entry, loaded as the
 * Lambda runtime loads it, and workerd, whose output the Workers test pool writes straight to
 * this process's stdout and stderr (its log handler is not an option of the pool). hookd's JSON
 * log lines, and those `alsoDrop` picks, are dropped, unless HOOKD_TEST_LOGS=1, until the
 * returned function restores both streams. Anything else written passes.
 */
export function quietServiceStdout(alsoDrop: (line: string) => boolean = () => false): () => void {
  if (SHOW_SERVICE_LOGS) return () => {};
  const dropped = (line: string) => isServiceLogLine(line) || alsoDrop(stripVTControlCharacters(line));
  const restores = [process.stdout, process.stderr].map((stream) => {
    const original = stream.write;
    stream.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      const lines = (typeof chunk === "string" ? chunk : Buffer.from(chunk).toString()).split("\n");
      const kept = lines.filter((line) => !dropped(line));
      if (kept.length === lines.length) return original.call(stream, chunk, ...rest);
      if (kept.every((line) => line === "")) {
        // Nothing left to write: still tell a caller waiting on the write that it is done.
        const done = rest.find((arg: unknown) => typeof arg === "function") as (() => void) | undefined;
        if (done) process.nextTick(done);
        return true;
      }
      return original.call(stream, kept.join("\n"), ...rest);
    }) as typeof stream.write;
    return () => {
      stream.write = original;
    };
  });
  return () => {
    for (const restore of restores) restore();
  };
}
