import { errorText } from "../schema/labels.ts";
import { type HttpGetAction, type NamedPorts, NOT_IN_HOST } from "../schema/lifecycle.ts";
import { VERSION } from "../version.ts";
import { cidrHolding, DeniedAddressError, parseIp } from "./cidr.ts";
import { capUtf8 } from "./output.ts";
import { checkReach } from "./trust.ts";
import { type HandlerContext, type HandlerOutcome, HookError, OUTPUT_LIMIT_BYTES } from "./types.ts";

const MAX_REDIRECTS = 10;
/** The statuses Go's client (the kubelet's) follows; any other 3xx is the result. */
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const SHOWN_CHARS = 512;

/** Text from outside as messages and log lines show it: a path or a Location may be a megabyte long. */
function clipped(text: string): string {
  return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}…` : text;
}

/** A URL as messages and log lines show it: without a user or password (a redirect may carry them). */
function shown(url: URL): string {
  if (!url.username && !url.password) return clipped(url.href);
  const bare = new URL(url.href);
  bare.username = "";
  bare.password = "";
  return clipped(bare.href);
}

export function resolvePort(port: number | string, named: NamedPorts | undefined): number {
  if (typeof port === "number") return port;
  // Own names only: "constructor" is not a port of any container.
  const n = named && Object.hasOwn(named, port) ? named[port] : undefined;
  if (n === undefined) {
    const known = Object.keys(named ?? {});
    throw new HookError(
      `port "${port}" is not a named port of the container (${known.length ? `it has ${known.join(", ")}` : "it has none: set the hookd.ports label"})`,
    );
  }
  return n;
}

export function hookUrl(action: HttpGetAction, host: string, port: number): URL {
  const scheme = (action.scheme ?? "HTTP").toLowerCase();
  const hostPart = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  const raw = action.path ?? "/";
  const path = raw.startsWith("/") ? raw : `/${raw}`;
  try {
    return new URL(`${scheme}://${hostPart}:${port}${path}`);
  } catch {
    throw new HookError(`httpGet: "${scheme}://${hostPart}:${port}${path}" is not a valid URL`);
  }
}

function requestHeaders(action: HttpGetAction): Array<[string, string]> {
  const headers: Array<[string, string]> = [];
  let userAgent = false;
  let accept = false;
  for (const h of action.httpHeaders ?? []) {
    headers.push([h.name, h.value]);
    const lower = h.name.toLowerCase();
    userAgent ||= lower === "user-agent";
    accept ||= lower === "accept";
  }
  if (!userAgent) headers.push(["User-Agent", `hookd/${VERSION}`]);
  if (!accept) headers.push(["Accept", "*/*"]);
  return headers;
}

/** A TLS client that got a plain-HTTP answer: the kubelet retries such a request over HTTP. */
function isPlainHttpAnswer(err: unknown): boolean {
  const code = (err as { code?: unknown; cause?: { code?: unknown } } | undefined)?.code;
  const causeCode = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  const text = `${String(code)} ${String(causeCode)} ${errorText(err)} ${errorText((err as { cause?: unknown })?.cause)}`;
  return /WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG|wrong version number|packet length too long|HTTP response to HTTPS/i.test(
    text,
  );
}

function checkDenied(url: URL, ctx: HandlerContext): void {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const address = parseIp(host);
  if (!address) return; // a name: the HTTP client checks what it resolves to
  const cidr = cidrHolding(address, ctx.deps.config.denyCidrs);
  if (cidr) throw new DeniedAddressError(host, host, cidr);
}

export async function runHttpGet(action: HttpGetAction, ctx: HandlerContext): Promise<HandlerOutcome> {
  const host = action.host ?? ctx.target.ip;
  if (!host) {
    throw new HookError("httpGet: the container has no IP and httpGet.host is not set: set httpGet.host");
  }
  if (NOT_IN_HOST.test(host)) {
    // Pasted into the URL, "10.0.0.7/" would send the hook to port 80 and another path.
    const field = action.host !== undefined ? "httpGet.host" : "the container's IP";
    throw new HookError(
      `httpGet: ${field} ${JSON.stringify(clipped(host))} is not a host name or IP address`,
    );
  }
  let url = hookUrl(action, host, resolvePort(action.port, ctx.target.ports));
  const first = url;
  ctx.describe.what = `httpGet ${shown(first)}`;
  const warnings: string[] = [];
  let headers = requestHeaders(action);
  for (let hops = 0; ; hops++) {
    let res: Awaited<ReturnType<typeof ctx.deps.http.request>>;
    try {
      checkDenied(url, ctx);
      checkReach(url, "httpGet", ctx.target, ctx.deps.config);
      res = await ctx.deps.http.request({
        method: "GET",
        url,
        headers,
        signal: ctx.signal,
        maxBodyBytes: OUTPUT_LIMIT_BYTES,
      });
    } catch (err) {
      if (url.protocol === "https:" && isPlainHttpAnswer(err) && !ctx.signal.aborted) {
        // Same host and port, as the kubelet retries: the URL elides 443 for HTTPS, and a bare
        // change of scheme would send the retry to port 80.
        const port = url.port || "443";
        url = new URL(url.href);
        url.protocol = "http:";
        url.port = port;
        headers = headers.filter(([n]) => n.toLowerCase() !== "authorization");
        warnings.push(
          `the server answered HTTPS with plain HTTP: retried as ${shown(url)} without the Authorization header`,
        );
        hops--; // not a redirect: it does not count against the ten
        continue;
      }
      throw new HookError(`httpGet ${shown(url)}: ${errorText(err)}`);
    }
    // An empty Location is no redirect (Go's client answers with the 3xx too).
    const location = REDIRECT_STATUSES.has(res.status) ? res.header("location") || undefined : undefined;
    if (location !== undefined) {
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        warnings.push(`redirect to an invalid location ${JSON.stringify(clipped(location))} not followed`);
        return outcome(url, res, warnings);
      }
      if (next.hostname !== url.hostname) {
        warnings.push(
          `redirect to another host (${shown(next)}) not followed: the ${res.status} is the result`,
        );
        return outcome(url, res, warnings);
      }
      if (next.protocol !== "http:" && next.protocol !== "https:") {
        warnings.push(`redirect to ${next.protocol} not followed`);
        return outcome(url, res, warnings);
      }
      if (hops + 1 > MAX_REDIRECTS) {
        throw new HookError(`httpGet ${shown(first)}: stopped after ${MAX_REDIRECTS} redirects`);
      }
      url = next;
      continue;
    }
    return outcome(url, res, warnings);
  }
}

function outcome(
  url: URL,
  res: { status: number; body: string; truncated: boolean },
  warnings: string[],
): HandlerOutcome {
  const ok = res.status >= 200 && res.status < 400;
  return {
    ok,
    message: `httpGet ${shown(url)}: status ${res.status}`,
    statusCode: res.status,
    output: capUtf8(res.body),
    warnings,
  };
}
