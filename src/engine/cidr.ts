/** CIDR lists for HOOKD_DENY_CIDRS: IPv4 and IPv6, no dependencies (runs on Workers too). */

export interface Cidr {
  text: string;
  bytes: Uint8Array;
  prefix: number;
}

export function parseIp(text: string): Uint8Array | undefined {
  const s = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  return s.includes(":") ? parseIpv6(s) : parseIpv4(s);
}

function parseIpv4(s: string): Uint8Array | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] ?? "";
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseIpv6(input: string): Uint8Array | undefined {
  const s = input.split("%")[0] ?? "";
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const words = (part: string | undefined): number[] | undefined => {
    if (!part) return [];
    const out: number[] = [];
    const pieces = part.split(":");
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] ?? "";
      if (i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIpv4(piece);
        if (!v4) return undefined;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(piece)) return undefined;
        out.push(Number.parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = words(halves[0]);
  const tail = words(halves[1]);
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const all = [...head, ...new Array<number>(halves.length === 1 ? 0 : fill).fill(0), ...tail];
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    out[i * 2] = w >> 8;
    out[i * 2 + 1] = w & 0xff;
  });
  return out;
}

export function parseCidrList(text: string): { cidrs: Cidr[]; errors: string[] } {
  const cidrs: Cidr[] = [];
  const errors: string[] = [];
  for (const raw of text.split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    const [addr = "", prefixText] = item.split("/");
    const bytes = parseIp(addr);
    const max = bytes ? bytes.length * 8 : 0;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (!bytes || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      errors.push(`"${item}" is not a CIDR (like 169.254.0.0/16 or fe80::/10)`);
      continue;
    }
    cidrs.push({ text: item, bytes, prefix });
  }
  return { cidrs, errors };
}

/** The CIDR that holds `ip`, if any. IPv4-mapped IPv6 addresses are checked as IPv4. */
export function deniedBy(ip: string, cidrs: readonly Cidr[]): Cidr | undefined {
  const bytes = parseIp(ip);
  return bytes ? cidrHolding(bytes, cidrs) : undefined;
}

/** The CIDR of the list that holds an address already parsed (`deniedBy` parses it). */
export function cidrHolding(address: Uint8Array, cidrs: readonly Cidr[]): Cidr | undefined {
  const bytes = unmapped(address);
  for (const cidr of cidrs) {
    if (cidr.bytes.length === bytes.length && prefixMatches(bytes, cidr.bytes, cidr.prefix)) return cidr;
  }
  return undefined;
}

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address it reaches. */
export function unmapped(bytes: Uint8Array): Uint8Array {
  const mapped =
    bytes.length === 16 &&
    bytes.subarray(0, 10).every((b) => b === 0) &&
    bytes[10] === 0xff &&
    bytes[11] === 0xff;
  return mapped ? bytes.subarray(12) : bytes;
}

/** Two spellings of one address (IPv4-mapped IPv6 counts as its IPv4 address). */
export function sameAddress(a: Uint8Array, b: Uint8Array): boolean {
  const x = unmapped(a);
  const y = unmapped(b);
  return x.length === y.length && x.every((byte, i) => byte === y[i]);
}

function prefixMatches(a: Uint8Array, b: Uint8Array, prefix: number): boolean {
  let bits = prefix;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((a[i] ?? 0) & mask) !== ((b[i] ?? 0) & mask)) return false;
  }
  return true;
}

export class DeniedAddressError extends Error {
  constructor(host: string, ip: string, cidr: Cidr) {
    super(`${host === ip ? ip : `${host} (${ip})`} is in the denied range ${cidr.text} (HOOKD_DENY_CIDRS)`);
    this.name = "DeniedAddressError";
  }
}
