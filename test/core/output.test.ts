import { describe, expect, it } from "vitest";
import { capUtf8, decodeCut } from "../../src/engine/output.ts";
import { readCapped } from "../../src/platform/web/fetch-http.ts";

const utf8 = (text: string) => new TextEncoder().encode(text);
const bytesOf = (text: string) => utf8(text).length;

describe("output within 10 KiB of UTF-8 (contract §2)", () => {
  it("capUtf8 keeps text that fits, and cuts longer text at a whole character", () => {
    expect(capUtf8("ok")).toBe("ok");
    expect(capUtf8("a".repeat(10 * 1024))).toBe("a".repeat(10 * 1024));
    expect(capUtf8("a".repeat(10 * 1024 + 1))).toBe("a".repeat(10 * 1024));
    // "€" is 3 bytes: 3,413 of them are 10,239 bytes, one more would be 10,242.
    expect(capUtf8("€".repeat(5000))).toBe("€".repeat(3413));
    // A surrogate pair (4 bytes) is never split: 2,560 emoji are exactly 10 KiB.
    expect(capUtf8("😀".repeat(3000))).toBe("😀".repeat(2560));
    expect(bytesOf(capUtf8(`x${"😀".repeat(3000)}`))).toBe(1 + 2559 * 4);
    expect(capUtf8("\u{FEFF}é", 3)).toBe("\u{FEFF}");
  });

  it("decodeCut drops a character the cut split, keeps whole ones, and keeps a BOM", () => {
    const euro = utf8("a€");
    expect(decodeCut(euro.subarray(0, 2), true)).toBe("a");
    expect(decodeCut(euro.subarray(0, 3), true)).toBe("a");
    expect(decodeCut(euro, true)).toBe("a€");
    expect(decodeCut(utf8("\u{FEFF}hi"), false)).toBe("\u{FEFF}hi");
    // Not cut: a broken sequence is the sender's, shown as U+FFFD.
    expect(decodeCut(euro.subarray(0, 2), false)).toBe("a\u{FFFD}");
  });

  it("the Workers client's reader drops a character split by the 10 KiB cut", async () => {
    const body = `${"a".repeat(10 * 1024 - 1)}€tail`;
    const { text, truncated } = await readCapped(new Response(body).body, 10 * 1024);
    expect(truncated).toBe(true);
    expect(text).toBe("a".repeat(10 * 1024 - 1));
  });
});
