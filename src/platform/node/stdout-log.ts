import type { Logger } from "../ports.ts";

/** JSON lines on stdout, batched once per tick so that logging stays off the request's path. */
export function createStdoutLogger(
  stream: NodeJS.WritableStream = process.stdout,
): Logger & { flush(): void } {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending.join("");
    pending = [];
    stream.write(text);
  };
  return {
    write(record) {
      pending.push(`${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}
