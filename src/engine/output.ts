import { OUTPUT_LIMIT_BYTES } from "./types.ts";

/** Keeps a BOM as a character, as the bytes were sent (TextDecoder drops it by default). */
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
const encoder = new TextEncoder();

/** Decodes UTF-8; when the bytes were cut short, a character split by the cut is dropped rather than mangled. */
export function decodeCut(bytes: Uint8Array, cut: boolean): string {
  let end = bytes.length;
  if (cut) {
    // Step back over continuation bytes to the start of the last character, and drop it if incomplete.
    let start = end - 1;
    while (start >= 0 && start > end - 4 && ((bytes[start] ?? 0) & 0xc0) === 0x80) start--;
    const lead = bytes[start] ?? 0;
    const width = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (start >= 0 && start + width > end) end = start;
  }
  return utf8.decode(bytes.subarray(0, end));
}

/**
 * The longest start of `text` whose UTF-8 fits in `limit` bytes, never splitting a character:
 * the result's `output` stays within 10 KiB (contract §2) even when invalid bytes were decoded
 * as U+FFFD (three bytes each) or a peer sent more than it should.
 */
export function capUtf8(text: string, limit = OUTPUT_LIMIT_BYTES): string {
  if (text.length * 3 <= limit) return text; // no UTF-16 unit takes more than 3 bytes
  const bytes = encoder.encode(text);
  return bytes.length <= limit ? text : decodeCut(bytes.subarray(0, limit), true);
}
