import type { Config } from "../config.ts";
import { parseIp, sameAddress } from "./cidr.ts";
import { hostListHas, normalHost } from "./host-list.ts";
import type { HookTarget } from "./types.ts";

/** What a label may aim hookd at, and the setting that lets it name more than its own container. */
const RULES = {
  httpGet: { field: "httpGet.host", setting: "HOOKD_ALLOW_HOSTS", hosts: "allowHosts" },
  agent: { field: "the hookd.agent-url label", setting: "HOOKD_AGENT_HOSTS", hosts: "agentHosts" },
} as const;

export type Reach = keyof typeof RULES;

/**
 * Labels are less trusted than hookd's operator (contract §1): a hook read from labels connects
 * only to its own container's IP or to a host the operator listed. Every URL a handler connects
 * to for such a hook passes here first, redirects included, so a refusal connects to nothing.
 * The check reads the hostname as the request will (WHATWG URL), and never resolves a name.
 */
export function checkReach(
  url: URL,
  reach: Reach,
  target: HookTarget,
  config: Pick<Config, "allowHosts" | "agentHosts">,
): void {
  if (target.specFrom === "operator") return;
  const rule = RULES[reach];
  if (isContainerIp(url.hostname, target.ip) || hostListHas(config[rule.hosts], url.hostname)) return;
  const own = target.ip === undefined ? "the container has no IP" : `not the container's IP (${target.ip})`;
  throw new RefusedHostError(
    `refused without connecting: ${rule.field} names ${normalHost(url.hostname)}, ${own}; ` +
      `a hook from labels reaches another host only when ${rule.setting} lists it`,
  );
}

function isContainerIp(hostname: string, ip: string | undefined): boolean {
  if (ip === undefined) return false;
  const host = normalHost(hostname);
  const a = parseIp(host);
  const b = parseIp(ip);
  return a && b ? sameAddress(a, b) : host === normalHost(ip);
}

export class RefusedHostError extends Error {
  override name = "RefusedHostError";
}
