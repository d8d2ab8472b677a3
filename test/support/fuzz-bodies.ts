import fc from "fast-check";

/**
 * Malformed request bodies for the property-based test of every route (test/core/fuzz.test.ts):
 * valid bodies with one field replaced, removed, added, nested thousands of levels deep or made
 * 1 MB long, and raw bytes (invalid UTF-8, truncated JSON, random bytes).
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Path = Array<string | number>;

/** Every path into `value`, the root (`[]`) included. */
export function pathsOf(value: Json, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...pathsOf(v, [...prefix, i]));
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  }
  return out;
}

/** A copy of `value` with the value at `path` replaced (`undefined`: removed). */
export function withAt(value: Json, path: Path, replacement: Json | undefined): Json | undefined {
  const [head, ...rest] = path;
  if (head === undefined) return replacement;
  if (Array.isArray(value) && typeof head === "number") {
    const copy = [...value];
    const inner = withAt(copy[head] ?? null, rest, replacement);
    if (inner === undefined) copy.splice(head, 1);
    else copy[head] = inner;
    return copy;
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value) && typeof head === "string") {
    const copy = { ...value };
    const inner = withAt(copy[head] ?? null, rest, replacement);
    if (inner === undefined) delete copy[head];
    else copy[head] = inner;
    return copy;
  }
  return value;
}

/** Text of a value nested `depth` levels deep, built as text: JSON.stringify would overflow the stack. */
export function deepJsonText(depth: number, kind: "array" | "object", closed: boolean): string {
  const open = kind === "array" ? "[" : '{"a":';
  const close = kind === "array" ? "]" : "}";
  return open.repeat(depth) + (kind === "object" ? "1" : "") + (closed ? close.repeat(depth) : "");
}

const PLACEHOLDER = "\u0000__fuzz_placeholder__\u0000";

/** `base` as JSON text with the value at `path` replaced by raw JSON text. */
export function withTextAt(base: Json, path: Path, text: string): string {
  return JSON.stringify(withAt(base, path, PLACEHOLDER)).replace(JSON.stringify(PLACEHOLDER), text);
}

/** Values of every JSON type, odd numbers and strings included. */
export const anyJson: fc.Arbitrary<Json> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(
    "",
    " ",
    "\u0000",
    "\ud800",
    "127.0.0.1",
    "localhost",
    "::1",
    "169.254.169.254",
    "http://127.0.0.1:1/",
    "{ip}",
    -1,
    0,
    1.5,
    2 ** 53,
    -(2 ** 31),
    1e308,
    [],
    {},
    { __proto__: 1 },
    { constructor: { prototype: {} } },
  ),
);

export interface FuzzBody {
  what: string;
  bytes: Buffer;
}

/** fast-check prints a counterexample by `what` and size, not by its megabyte of bytes. */
function fuzzBody(what: string, bytes: Buffer): FuzzBody {
  return { what, bytes, [fc.toStringMethod]: () => `${what} (${bytes.length} bytes)` } as FuzzBody;
}

const text = (what: string, s: string): FuzzBody => fuzzBody(what, Buffer.from(s, "utf8"));

/**
 * Hosts are only ever literal loopback addresses or rejected values: a random string in a host
 * field would be resolved by DNS, and the tests must send nothing beyond 127.0.0.1.
 */
function safeForLoopback(path: Path, value: Json): Json {
  if (!isHostField(path) || typeof value !== "string") return value;
  return /^(127\.0\.0\.1|localhost|::1|169\.254\.169\.254|http:\/\/127\.0\.0\.1:1\/|)$/.test(value)
    ? value
    : `${value} is not a host`;
}

const HOST_FIELDS = new Set(["host", "ip", "agentUrl", "hookd.agent-url", "privateIpv4Address", "value"]);

function isHostField(path: Path): boolean {
  const last = path.at(-1);
  return typeof last === "string" && HOST_FIELDS.has(last);
}

type Weighted = fc.WeightedArbitrary<FuzzBody>;

/**
 * Bodies derived from one valid body: every path gets replaced, removed, deepened, enlarged.
 * `heavy: false` leaves out the megabyte and deeply nested ones, for volume.
 */
export function mutatedBodies(
  base: Json,
  { heavy = true }: { heavy?: boolean } = {},
): fc.Arbitrary<FuzzBody> {
  const paths = pathsOf(base);
  const at = fc.constantFrom(...paths);
  // Long strings never go where a host name is read (see safeForLoopback).
  const notHostAt = fc.constantFrom(...paths.filter((p) => !isHostField(p)));
  const objectAt = fc.constantFrom(...paths.filter((p) => isObject(valueAt(base, p))));
  const baseText = JSON.stringify(base);
  const where = (p: Path) => p.join(".") || "(root)";
  const light: Weighted[] = [
    {
      weight: 5,
      arbitrary: fc
        .tuple(at, anyJson)
        .map(([p, v]) => text(`replace ${where(p)}`, JSON.stringify(withAt(base, p, safeForLoopback(p, v))))),
    },
    {
      weight: 2,
      arbitrary: at.map((p) =>
        text(`remove ${where(p)}`, JSON.stringify(withAt(base, p, undefined) ?? null)),
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(objectAt, fc.string({ minLength: 1, maxLength: 8 }), anyJson)
        .map(([p, k, v]) => text(`add ${where([...p, k])}`, JSON.stringify(withAt(base, [...p, k], v)))),
    },
    {
      weight: 1,
      arbitrary: fc
        .nat({ max: baseText.length - 1 })
        .map((cut) => text(`truncated at ${cut}`, baseText.slice(0, cut))),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(notHostAt, fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([p, raw]) => {
        // Bytes that are never valid UTF-8 on their own (0x80-0xff), inside a JSON string.
        const bad = Buffer.from([...raw].map((b) => 0x80 | b));
        const [before = "", after = ""] = withTextAt(base, p, '"\u0001"').split("\u0001");
        return fuzzBody(
          `invalid UTF-8 at ${where(p)}`,
          Buffer.concat([Buffer.from(before), bad, Buffer.from(after)]),
        );
      }),
    },
  ];
  const deep = fc.constantFrom(2_000, 50_000);
  const heavyOnes: Weighted[] = [
    {
      weight: 1,
      arbitrary: fc
        .tuple(at, deep, fc.constantFrom<"array" | "object">("array", "object"))
        .map(([p, depth, kind]) =>
          text(`${depth}-deep ${kind} at ${where(p)}`, withTextAt(base, p, deepJsonText(depth, kind, true))),
        ),
    },
    {
      weight: 1,
      // Loose schemas (the ECS event) keep unknown fields: nesting there reaches further in.
      arbitrary: fc
        .tuple(objectAt, fc.constantFrom(2_000, 50_000, 200_000))
        .map(([p, depth]) =>
          text(
            `${depth}-deep unknown field at ${where(p)}`,
            withTextAt(base, [...p, "extra"], deepJsonText(depth, "array", true)),
          ),
        ),
    },
    {
      weight: 1,
      // Labels hold JSON as text: nesting inside a string reaches the label parser.
      arbitrary: fc
        .tuple(notHostAt, deep)
        .map(([p, depth]) =>
          text(
            `${depth}-deep JSON text in a string at ${where(p)}`,
            JSON.stringify(withAt(base, p, deepJsonText(depth, "array", true))),
          ),
        ),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(notHostAt, fc.constantFrom("a", "é", "\u{1F600}", "\\u0000", '\\"'))
        .map(([p, unit]) => {
          const s = unit.repeat(Math.floor(1_000_000 / Buffer.byteLength(unit)));
          return text(`1 MB string at ${where(p)}`, withTextAt(base, p, `"${s}"`));
        }),
    },
  ];
  return fc.oneof(...light, ...(heavy ? heavyOnes : []));
}

function valueAt(value: Json, path: Path): Json | undefined {
  let v: Json | undefined = value;
  for (const k of path) v = v !== null && typeof v === "object" ? (v as Record<string, Json>)[k] : undefined;
  return v;
}

function isObject(v: Json | undefined): boolean {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Bodies unrelated to any route: random bytes, deep unclosed nesting, odd JSON. */
export const strayBodies: fc.Arbitrary<FuzzBody> = fc.oneof(
  fc.uint8Array({ maxLength: 256 }).map((b) => fuzzBody("random bytes", Buffer.from(b))),
  fc.constantFrom(
    text("empty", ""),
    text("whitespace", " \n\t"),
    text("50,000 [", "[".repeat(50_000)),
    text("50,000 [ closed", deepJsonText(50_000, "array", true)),
    text("50,000 { unclosed", deepJsonText(50_000, "object", false)),
    text("50,000 { closed", deepJsonText(50_000, "object", true)),
    text("null", "null"),
    text("BOM", "\ufeff{}"),
    fuzzBody("overlong UTF-8 bytes", Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d])),
    fuzzBody("lone surrogate bytes", Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])),
  ),
  anyJson.map((v) => text("random JSON", JSON.stringify(v))),
);

/** Content types a client may send, wrong ones included; undefined: no header. */
export const contentTypes = fc.constantFrom<string | undefined>(
  "application/json",
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=latin1",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/octet-stream",
  "",
  undefined,
);
