import { z } from "zod";
import { type Cidr, parseCidrList } from "../engine/cidr.ts";
import { type HostList, parseHostList } from "../engine/host-list.ts";

/**
 * The settings of contract §6: one schema from the environment (process.env on Node and Lambda,
 * the bindings on Workers) to the `Config` the code reads. AWS_* are the AWS SDK's, not read here.
 */

export const DEFAULT_DENY_CIDRS = "169.254.0.0/16,fe80::/10,fd00:ec2::254/128";

/** HOOKD_STORE (contract §7); `undefined` in `Config`: the runtime's default. */
export type StoreSetting =
  | { kind: "sqlite"; path: string }
  | { kind: "dynamodb"; table: string }
  | { kind: "durable-object" }
  | { kind: "memory" };

/** Settings whose value is a secret: a bad one is described, never printed. */
const SECRET = new Set(["HOOKD_TOKEN", "HOOKD_AGENT_TOKEN", "HOOKD_RESULTS_SECRET"]);

/**
 * A variable's text, trimmed; blank is unset (as `VAR=` in a shell). Workers' [vars] may be JSON
 * numbers or booleans: they count as their text.
 */
function settingText(raw: unknown): string | undefined {
  if (typeof raw === "number" || typeof raw === "boolean") return String(raw);
  if (typeof raw !== "string") return undefined;
  const text = raw.trim();
  return text === "" ? undefined : text;
}

/** What a reader answers for a text it refuses, where it can say which part is wrong. */
interface Refused {
  refused: string[];
}

/**
 * A setting read from its text by `read`, which answers the value, or undefined (or the parts it
 * refuses) when the text is not allowed; `allowed` says what is. Unset, it is `fallback`.
 */
function setting<T, F>(allowed: string, read: (text: string) => T | Refused | undefined, fallback: F) {
  return z
    .unknown()
    .optional()
    .transform((raw, ctx): T | F => {
      if (raw !== undefined && raw !== null && typeof raw === "object") {
        ctx.addIssue({ code: "custom", message: `expected text, got a binding (${allowed})` });
        return z.NEVER;
      }
      const text = settingText(raw);
      if (text === undefined) return fallback;
      const value = read(text);
      const refused = value === undefined ? [] : refusedParts(value);
      if (value === undefined || refused.length > 0) {
        const parts = refused.length > 0 ? `: ${refused.join("; ")}` : "";
        ctx.addIssue({ code: "custom", message: `${allowed}${parts}` });
        return z.NEVER;
      }
      return value as T;
    });
}

function refusedParts(value: unknown): string[] {
  return typeof value === "object" && value !== null && "refused" in value ? (value as Refused).refused : [];
}

/** Digits only (no sign, exponent, hex or blank), from `min` to `max`: Node runs a longer timer at once. */
function wholeNumber(min: number, max: number, fallback: number, unit = "") {
  const what = `a whole number${unit} from ${min} to ${max}`;
  return setting(
    `expected ${what}`,
    (t) => (/^\d+$/.test(t) && Number(t) >= min && Number(t) <= max ? Number(t) : undefined),
    fallback,
  );
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\0-\x1f\x7f]/;

/** A bearer token goes into a header: white space or control characters would fail every call. */
const token = (t: string) => (CONTROL.test(t) || /\s/.test(t) ? undefined : t);

function httpUrl(text: string): URL | undefined {
  if (!URL.canParse(text)) return undefined;
  const url = new URL(text);
  return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "" ? url : undefined;
}

/** `{ip}` is replaced by the container's IP at run time: checked with an address in its place. */
function agentUrlTemplate(text: string): string | undefined {
  const url = httpUrl(text.replaceAll("{ip}", "192.0.2.1"));
  return url && !/[{}]/.test(text.replaceAll("{ip}", "")) && url.search === "" && url.hash === ""
    ? text
    : undefined;
}

/** HOOKD_ALLOW_HOSTS, HOOKD_AGENT_HOSTS: the engine's own reading (engine/host-list.ts). */
function hostList(text: string): HostList | Refused {
  const { hosts, errors } = parseHostList(text);
  return errors.length === 0 ? hosts : { refused: errors };
}

// DynamoDB's table name rule.
const TABLE = /^[A-Za-z0-9_.-]{3,255}$/;

export function parseStoreSetting(text: string): StoreSetting | undefined {
  if (text === "memory" || text === "durable-object") return { kind: text };
  const sqlite = /^sqlite:(.+)$/.exec(text)?.[1];
  if (sqlite !== undefined) return { kind: "sqlite", path: sqlite };
  const table = /^dynamodb:(.+)$/.exec(text)?.[1];
  return table !== undefined && TABLE.test(table) ? { kind: "dynamodb", table } : undefined;
}

/** `whsec_` and base64 (Standard Webhooks): the key is the decoded part. */
function resultsSecret(text: string): string | undefined {
  const key = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(text)?.[1];
  if (key === undefined) return undefined;
  try {
    return atob(key).length > 0 ? text : undefined;
  } catch {
    return undefined;
  }
}

const ALLOWED_HOSTS =
  "expected comma-separated host names and CIDRs (like api.internal,10.0.0.0/8,fd00::/8), no wildcards";

const SettingsSchema = z
  .object({
    HOOKD_TOKEN: setting(
      "expected comma-separated bearer tokens, without white space or control characters",
      (t) => {
        const tokens = t
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s !== "");
        return tokens.every((s) => token(s) !== undefined) ? tokens : undefined;
      },
      [] as string[],
    ),
    HOOKD_AGENT_TOKEN: setting(
      "expected a bearer token, without white space or control characters",
      token,
      undefined,
    ),
    HOOKD_AGENT_URL: setting(
      "expected an http:// or https:// URL, {ip} standing for the container's IP (like http://{ip}:9700), without query or fragment",
      agentUrlTemplate,
      undefined,
    ),
    // As the API's timeoutSeconds: at most a day.
    HOOKD_DEFAULT_TIMEOUT_SECONDS: wholeNumber(1, 86_400, 30, " of seconds"),
    HOOKD_BACKOFF_INITIAL_MS: wholeNumber(0, 86_400_000, 10_000, " of milliseconds"),
    HOOKD_BACKOFF_MAX_MS: wholeNumber(0, 86_400_000, 300_000, " of milliseconds"),
    HOOKD_DENY_CIDRS: setting(
      "expected comma-separated CIDRs (like 169.254.0.0/16,fe80::/10), or empty to deny nothing",
      (t) => {
        const { cidrs, errors } = parseCidrList(t);
        return errors.length === 0 ? cidrs : { refused: errors };
      },
      undefined,
    ),
    HOOKD_ALLOW_HOSTS: setting(ALLOWED_HOSTS, hostList, { names: [], cidrs: [] } as HostList),
    HOOKD_AGENT_HOSTS: setting(ALLOWED_HOSTS, hostList, { names: [], cidrs: [] } as HostList),
    PORT: wholeNumber(0, 65_535, 8787),
    HOOKD_STORE: setting(
      "expected sqlite:PATH, dynamodb:TABLE (3-255 of A-Z a-z 0-9 _ . -), durable-object or memory",
      parseStoreSetting,
      undefined,
    ),
    HOOKD_RETENTION_HOURS: wholeNumber(1, 87_600, 168, " of hours"),
    HOOKD_RESULTS_URL: setting(
      "expected an http:// or https:// URL",
      (t) => (httpUrl(t) ? t : undefined),
      undefined,
    ),
    HOOKD_RESULTS_SECRET: setting(
      "expected whsec_ followed by base64 (Standard Webhooks)",
      resultsSecret,
      undefined,
    ),
    HOOKD_ECS_TIMEOUT_SECONDS: wholeNumber(1, 3_600, 10, " of seconds"),
    HOOKD_SHUTDOWN_SECONDS: wholeNumber(0, 86_400, 30, " of seconds"),
  })
  .superRefine((s, ctx) => {
    if (s.HOOKD_RESULTS_URL !== undefined && s.HOOKD_RESULTS_SECRET === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["HOOKD_RESULTS_SECRET"],
        message: "required with HOOKD_RESULTS_URL: deliveries are signed (whsec_ followed by base64)",
      });
    }
    if (s.HOOKD_BACKOFF_MAX_MS < s.HOOKD_BACKOFF_INITIAL_MS) {
      ctx.addIssue({
        code: "custom",
        path: ["HOOKD_BACKOFF_MAX_MS"],
        message: `expected at least HOOKD_BACKOFF_INITIAL_MS (${s.HOOKD_BACKOFF_INITIAL_MS})`,
      });
    }
  });

/** The settings as the code reads them. */
export interface Config {
  /** Accepted bearer tokens for /v1 (HOOKD_TOKEN, comma-separated for rotation); empty: unset. */
  tokens: string[];
  agentToken: string | undefined;
  /** HOOKD_AGENT_URL, a template: `{ip}` is the container's IP. */
  agentUrl: string | undefined;
  defaultTimeoutSeconds: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  denyCidrs: Cidr[];
  allowHosts: HostList;
  agentHosts: HostList;
  port: number;
  /** undefined: the runtime's default (contract §7). */
  store: StoreSetting | undefined;
  retentionHours: number;
  resultsUrl: string | undefined;
  /** `whsec_…` as set; present whenever `resultsUrl` is. */
  resultsSecret: string | undefined;
  ecsTimeoutSeconds: number;
  shutdownSeconds: number;
}

export type Env = Record<string, unknown>;

/** A bad setting: `message` names every bad variable, its value and what is allowed. */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly variables: string[];
  /** Every bad setting; or one message already naming it (a setting found bad where it is used). */
  constructor(problems: Array<{ variable: string; message: string }> | string) {
    super(
      typeof problems === "string" ? problems : `bad settings: ${problems.map((p) => p.message).join("; ")}`,
    );
    this.variables = typeof problems === "string" ? [] : problems.map((p) => p.variable);
  }
}

function shown(variable: string, raw: unknown): string {
  if (raw === undefined) return `${variable} (unset)`;
  const text = typeof raw === "string" ? raw : String(raw);
  if (SECRET.has(variable)) return `${variable} (${text.length} characters, not shown)`;
  return `${variable}=${JSON.stringify(text)}`;
}

/** Reads and checks every setting at once; throws a ConfigError naming each bad one. */
export function loadConfig(env: Env): Config {
  // A Durable Object namespace bound as HOOKD_STORE (contract §7) is that store, not a text.
  const storeBinding = typeof env.HOOKD_STORE === "object" && env.HOOKD_STORE !== null;
  const input = storeBinding ? { ...env, HOOKD_STORE: "durable-object" } : env;
  const parsed = SettingsSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const variable = String(issue.path[0] ?? "(settings)");
        return { variable, message: `${shown(variable, env[variable])}: ${issue.message}` };
      }),
    );
  }
  const s = parsed.data;
  return {
    tokens: s.HOOKD_TOKEN,
    agentToken: s.HOOKD_AGENT_TOKEN,
    agentUrl: s.HOOKD_AGENT_URL,
    defaultTimeoutSeconds: s.HOOKD_DEFAULT_TIMEOUT_SECONDS,
    backoffInitialMs: s.HOOKD_BACKOFF_INITIAL_MS,
    backoffMaxMs: s.HOOKD_BACKOFF_MAX_MS,
    // Set to empty, it denies nothing; unset, the cloud metadata addresses.
    denyCidrs:
      s.HOOKD_DENY_CIDRS ?? (env.HOOKD_DENY_CIDRS === "" ? [] : parseCidrList(DEFAULT_DENY_CIDRS).cidrs),
    allowHosts: s.HOOKD_ALLOW_HOSTS,
    agentHosts: s.HOOKD_AGENT_HOSTS,
    port: s.PORT,
    store: s.HOOKD_STORE,
    retentionHours: s.HOOKD_RETENTION_HOURS,
    resultsUrl: s.HOOKD_RESULTS_URL,
    resultsSecret: s.HOOKD_RESULTS_SECRET,
    ecsTimeoutSeconds: s.HOOKD_ECS_TIMEOUT_SECONDS,
    shutdownSeconds: s.HOOKD_SHUTDOWN_SECONDS,
  };
}
