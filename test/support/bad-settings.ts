import { expect } from "vitest";

/**
 * Every setting of contract §6 with a bad value, and what the message must say about what is
 * allowed. Secrets are named but their value is not printed.
 */
export interface BadSetting {
  variable: string;
  value: string;
  allowed: RegExp;
  secret?: true;
}

export const BAD_SETTINGS: BadSetting[] = [
  {
    variable: "HOOKD_TOKEN",
    value: "two words",
    allowed: /bearer tokens, without white space/,
    secret: true,
  },
  {
    variable: "HOOKD_AGENT_TOKEN",
    value: "a\tb",
    allowed: /a bearer token, without white space/,
    secret: true,
  },
  {
    variable: "HOOKD_AGENT_URL",
    value: "notaurl",
    allowed: /an http:\/\/ or https:\/\/ URL, \{ip\} standing/,
  },
  { variable: "HOOKD_AGENT_URL", value: "ftp://{ip}:9700", allowed: /an http:\/\/ or https:\/\/ URL/ },
  { variable: "HOOKD_AGENT_URL", value: "http://{host}:9700", allowed: /\{ip\} standing for/ },
  {
    variable: "HOOKD_DEFAULT_TIMEOUT_SECONDS",
    value: "soon",
    allowed: /a whole number of seconds from 1 to 86400/,
  },
  // Past a day: Node would run a longer timer at once, and every hook would time out.
  { variable: "HOOKD_DEFAULT_TIMEOUT_SECONDS", value: "3000000", allowed: /from 1 to 86400/ },
  { variable: "HOOKD_BACKOFF_INITIAL_MS", value: "-5", allowed: /a whole number of milliseconds from 0/ },
  { variable: "HOOKD_BACKOFF_MAX_MS", value: "1e6", allowed: /a whole number of milliseconds from 0/ },
  { variable: "HOOKD_DENY_CIDRS", value: "169.254.0.0/33", allowed: /comma-separated CIDRs/ },
  { variable: "HOOKD_ALLOW_HOSTS", value: "*.internal", allowed: /host names and CIDRs .*no wildcards/ },
  { variable: "HOOKD_AGENT_HOSTS", value: "10.0.0.0/40", allowed: /host names and CIDRs/ },
  { variable: "PORT", value: "8o8o", allowed: /a whole number from 0 to 65535/ },
  {
    variable: "HOOKD_STORE",
    value: "postgres://db",
    allowed: /sqlite:PATH, dynamodb:TABLE .*durable-object or memory/,
  },
  { variable: "HOOKD_STORE", value: "dynamodb:a", allowed: /dynamodb:TABLE \(3-255/ },
  { variable: "HOOKD_RETENTION_HOURS", value: "0", allowed: /a whole number of hours from 1/ },
  { variable: "HOOKD_RESULTS_URL", value: "receiver.test/hooks", allowed: /an http:\/\/ or https:\/\/ URL/ },
  {
    variable: "HOOKD_RESULTS_SECRET",
    value: "s3cret",
    allowed: /whsec_ followed by base64/,
    secret: true,
  },
  { variable: "HOOKD_ECS_TIMEOUT_SECONDS", value: "0", allowed: /a whole number of seconds from 1 to 3600/ },
  { variable: "HOOKD_SHUTDOWN_SECONDS", value: "thirty", allowed: /a whole number of seconds from 0/ },
];

/** The message names the variable and its value (a secret's length only) and what is allowed. */
export function expectNamed(message: string, bad: BadSetting): void {
  if (bad.secret) {
    expect(message).toContain(`${bad.variable} (${bad.value.length} characters, not shown)`);
    expect(message).not.toContain(bad.value);
  } else {
    expect(message).toContain(`${bad.variable}=${JSON.stringify(bad.value)}`);
  }
  expect(message).toMatch(bad.allowed);
}

/**
 * The bad settings in rounds of one value per variable: a process names every bad setting at
 * once, so each round is one start of a command (the machine is shared: few processes).
 */
export function settingRounds(): BadSetting[][] {
  const out: BadSetting[][] = [];
  for (const bad of BAD_SETTINGS) {
    const round = out.find((r) => !r.some((b) => b.variable === bad.variable));
    if (round) round.push(bad);
    else out.push([bad]);
  }
  return out;
}
