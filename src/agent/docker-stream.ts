import type { CappedOutput } from "./output.ts";

/**
 * Splits Docker's multiplexed attach stream (TTY off): frames of an 8-byte header
 * [stream, 0, 0, 0, size as uint32 big-endian] followed by `size` bytes; stream 1 is stdout,
 * 2 stderr. Headers and payloads may be split anywhere across chunks.
 */
export class DockerStreamDemuxer {
  #header = Buffer.alloc(8);
  #headerBytes = 0;
  #stream: "stdout" | "stderr" = "stdout";
  #payloadLeft = 0;

  private readonly output: CappedOutput;

  constructor(output: CappedOutput) {
    this.output = output;
  }

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.#payloadLeft > 0) {
        const take = Math.min(this.#payloadLeft, chunk.length - at);
        this.output.add(this.#stream, chunk.subarray(at, at + take));
        this.#payloadLeft -= take;
        at += take;
        continue;
      }
      const take = Math.min(8 - this.#headerBytes, chunk.length - at);
      chunk.copy(this.#header, this.#headerBytes, at, at + take);
      this.#headerBytes += take;
      at += take;
      if (this.#headerBytes === 8) {
        this.#headerBytes = 0;
        this.#stream = this.#header[0] === 2 ? "stderr" : "stdout";
        this.#payloadLeft = this.#header.readUInt32BE(4);
      }
    }
  }
}
