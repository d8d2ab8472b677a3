import { type Cidr, cidrHolding, parseCidrList, parseIp } from "./cidr.ts";

/**
 * HOOKD_ALLOW_HOSTS and HOOKD_AGENT_HOSTS: host names and CIDRs an operator lets labels name.
 * A name matches only itself and an address only a CIDR: a name is never resolved to be matched,
 * so one that resolves into an allowed range (or rebinds later) does not get in by it.
 */
export interface HostList {
  names: string[];
  cidrs: Cidr[];
}

/** Letters, digits, hyphens and (as Docker and Compose names have them) underscores, dot-separated. */
const NAME = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?$/i;

export function parseHostList(text: string): { hosts: HostList; errors: string[] } {
  const hosts: HostList = { names: [], cidrs: [] };
  const errors: string[] = [];
  for (const raw of text.split(",")) {
    const item = raw.trim();
    if (item === "") continue;
    if (item.includes("/") || parseIp(item)) {
      const parsed = parseCidrList(item);
      hosts.cidrs.push(...parsed.cidrs);
      errors.push(...parsed.errors);
      continue;
    }
    const host = NAME.test(item) ? urlHostname(item) : undefined;
    if (host === undefined) {
      errors.push(`"${item}" is not a host name or CIDR (like hooks.internal or 10.0.0.0/8)`);
      continue;
    }
    // "0x7f000001" is a name to the eye and 127.0.0.1 to every URL parser: keep it as the address.
    const address = parseCidrList(host).cidrs[0];
    if (address) hosts.cidrs.push({ ...address, text: item });
    else hosts.names.push(host);
  }
  return { hosts, errors };
}

/** Whether a URL's hostname (as WHATWG URL spells it) is in the list. */
export function hostListHas(list: HostList, hostname: string): boolean {
  const host = normalHost(hostname);
  const address = parseIp(host);
  if (address) return cidrHolding(address, list.cidrs) !== undefined;
  return list.names.includes(host);
}

/** A hostname without IPv6 brackets or a final dot, lower case: one spelling per host. */
export function normalHost(hostname: string): string {
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  return bare.toLowerCase().replace(/\.$/, "");
}

/** The host as a URL parser reads it (so the list and the request agree on every spelling). */
function urlHostname(name: string): string | undefined {
  try {
    return normalHost(new URL(`http://${name}/`).hostname);
  } catch {
    return undefined;
  }
}
