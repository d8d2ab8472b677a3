import { type Cidr, parseCidrList } from "./engine/cidr.ts";
import { type HostList, parseHostList } from "./engine/host-list.ts";

/** The settings of contract §6, read from process.env on Node or the Worker's bindings. */
export interface Config {
  /** Accepted bearer tokens for /v1 (HOOKD_TOKEN, comma-separated for rotation); empty: unset. */
  tokens: string[];
  agentToken: string | undefined;
  agentUrl: string | undefined;
  defaultTimeoutSeconds: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  denyCidrs: Cidr[];
  /** Hosts a label's httpGet.host may name besides the container's IP (HOOKD_ALLOW_HOSTS). */
  allowHosts: HostList;
  /** Hosts a hookd.agent-url label may name besides the container's IP (HOOKD_AGENT_HOSTS). */
  agentHosts: HostList;
  /** HOOKD_STORE (contract §7); undefined: the runtime's default. */
  store: StoreSetting | undefined;
  /** HOOKD_RETENTION_HOURS: how long claims and runs are kept. */
  retentionHours: number;
  /** HOOKD_RESULTS_URL: where every run is delivered, signed (contract §7). */
  resultsUrl: string | undefined;
  /** HOOKD_RESULTS_SECRET: `whsec_<base64>`, present whenever `resultsUrl` is. */
  resultsSecret: string | undefined;
  /** One ECS API attempt gives up after this (contract §8). */
  ecsTimeoutSeconds: number;
  /** The most a SIGTERM waits for work in flight (contract §8). */
  shutdownSeconds: number;
}

/** HOOKD_STORE, read. */
export type StoreSetting =
  | { kind: "sqlite"; path: string }
  | { kind: "dynamodb"; table: string }
  | { kind: "durable-object" }
  | { kind: "memory" };

// DynamoDB's table name rule.
const TABLE = /^[A-Za-z0-9_.-]{3,255}$/;

export function parseStoreSetting(text: string): StoreSetting | undefined {
  if (text === "memory" || text === "durable-object") return { kind: text };
  const sqlite = /^sqlite:(.+)$/.exec(text)?.[1];
  if (sqlite !== undefined) return { kind: "sqlite", path: sqlite };
  const table = /^dynamodb:(.+)$/.exec(text)?.[1];
  return table !== undefined && TABLE.test(table) ? { kind: "dynamodb", table } : undefined;
}

export type Env = Record<string, unknown>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

export const DEFAULT_DENY_CIDRS = "169.254.0.0/16,fe80::/10,fd00:ec2::254/128";

export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const str = (name: string): string | undefined => {
    const v = env[name];
    return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
  };
  // Bounded above too: Node runs a timer of more than 2^31 - 1 ms (~24.8 days) at once.
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`${name}: expected a whole number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return n;
  };
  const deny = parseCidrList(
    str("HOOKD_DENY_CIDRS") ?? (env.HOOKD_DENY_CIDRS === "" ? "" : DEFAULT_DENY_CIDRS),
  );
  for (const e of deny.errors) problems.push(`HOOKD_DENY_CIDRS: ${e}`);
  const hosts = (name: string): HostList => {
    const list = parseHostList(str(name) ?? "");
    for (const e of list.errors) problems.push(`${name}: ${e}`);
    return list.hosts;
  };
  const config: Config = {
    tokens: (str("HOOKD_TOKEN") ?? "")
      .split(",")
      .map((t) => t.trim())
      .filter((t) => t !== ""),
    agentToken: str("HOOKD_AGENT_TOKEN"),
    agentUrl: str("HOOKD_AGENT_URL"),
    // As the API's timeoutSeconds: at most a day.
    defaultTimeoutSeconds: int("HOOKD_DEFAULT_TIMEOUT_SECONDS", 30, 1, 86_400),
    backoffInitialMs: int("HOOKD_BACKOFF_INITIAL_MS", 10_000, 0, 86_400_000),
    backoffMaxMs: int("HOOKD_BACKOFF_MAX_MS", 300_000, 0, 86_400_000),
    denyCidrs: deny.cidrs,
    allowHosts: hosts("HOOKD_ALLOW_HOSTS"),
    agentHosts: hosts("HOOKD_AGENT_HOSTS"),
    store: storeSetting(str("HOOKD_STORE"), problems),
    retentionHours: int("HOOKD_RETENTION_HOURS", 168, 1, 87_600),
    resultsUrl: str("HOOKD_RESULTS_URL"),
    resultsSecret: str("HOOKD_RESULTS_SECRET"),
    ecsTimeoutSeconds: int("HOOKD_ECS_TIMEOUT_SECONDS", 10, 1, 300),
    shutdownSeconds: int("HOOKD_SHUTDOWN_SECONDS", 30, 0, 3_600),
  };
  if (config.resultsUrl !== undefined) {
    if (!URL.canParse(config.resultsUrl) || !/^https?:$/.test(new URL(config.resultsUrl).protocol))
      problems.push(`HOOKD_RESULTS_URL: expected an http(s) URL, got "${config.resultsUrl}"`);
    if (!/^whsec_[A-Za-z0-9+/]+={0,2}$/.test(config.resultsSecret ?? ""))
      problems.push("HOOKD_RESULTS_SECRET: expected whsec_<base64>, required with HOOKD_RESULTS_URL");
  }
  if (problems.length > 0) throw new ConfigError(`bad settings: ${problems.join("; ")}`);
  return config;
}

function storeSetting(raw: string | undefined, problems: string[]): StoreSetting | undefined {
  if (raw === undefined) return undefined;
  const store = parseStoreSetting(raw);
  if (!store) {
    problems.push(
      `HOOKD_STORE: expected sqlite:PATH, dynamodb:TABLE (3-255 of A-Z a-z 0-9 _ . -), durable-object or memory, got "${raw}"`,
    );
  }
  return store;
}
