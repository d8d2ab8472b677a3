import { capUtf8, decodeCut } from "../engine/output.ts";
import { OUTPUT_LIMIT_BYTES } from "../engine/types.ts";

/**
 * Collects stdout and stderr apart and hands back stdout then stderr, at most `limit` bytes in
 * all; memory stays bounded however much the command writes.
 */
export class CappedOutput {
  readonly #kept = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  readonly #keptBytes = { stdout: 0, stderr: 0 };
  #seenBytes = 0;

  readonly limit: number;

  constructor(limit: number = OUTPUT_LIMIT_BYTES) {
    this.limit = limit;
  }

  add(stream: "stdout" | "stderr", chunk: Buffer): void {
    this.#seenBytes += chunk.length;
    const room = this.limit - this.#keptBytes[stream];
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.#kept[stream].push(Buffer.from(part));
    this.#keptBytes[stream] += part.length;
  }

  result(): { output: string; truncated: boolean } {
    const stdout = Buffer.concat(this.#kept.stdout);
    const stderr = Buffer.concat(this.#kept.stderr);
    const both = Buffer.concat([stdout, stderr]);
    const truncated = this.#seenBytes > this.limit;
    const bytes = both.length > this.limit ? both.subarray(0, this.limit) : both;
    return { output: capUtf8(decodeCut(bytes, truncated), this.limit), truncated };
  }
}
