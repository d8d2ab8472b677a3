import { parseDocument } from "yaml";
import { z } from "zod";
import { formatPath, type SpecIssue, specIssues } from "./issues.ts";
import { type Lifecycle, LifecycleSchema, type NamedPorts, NamedPortsSchema } from "./lifecycle.ts";

export const LABEL = {
  lifecycle: "hookd.lifecycle",
  gracePeriod: "hookd.termination-grace-period-seconds",
  restartPolicy: "hookd.restart-policy",
  ports: "hookd.ports",
  agentUrl: "hookd.agent-url",
} as const;

export const RestartPolicySchema = z.enum(["Always", "OnFailure", "Never"]);
export type RestartPolicy = z.infer<typeof RestartPolicySchema>;

export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: SpecIssue[] };

/**
 * Reads a spec text: JSON, or YAML (a superset) where a file is read. YAML is read with its core
 * schema — maps, lists and scalars, no `!!binary` or other tags that make values JSON has not —
 * and its warnings (an unknown tag) count as problems, as its errors do.
 */
export function parseSpecText(text: string, format: "json" | "yaml-or-json", prefix = ""): Parsed<unknown> {
  const at = prefix || "(root)";
  const what = format === "json" ? "JSON" : "YAML or JSON";
  try {
    if (format === "json") return { ok: true, value: JSON.parse(text) };
    const doc = parseDocument(text, { schema: "core", resolveKnownTags: false });
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) {
      return {
        ok: false,
        issues: problems.map((p) => ({
          path: at,
          message: `not valid ${what}: ${yamlProblem(p.message)}`,
        })),
      };
    }
    if (doc.contents === null) {
      return { ok: false, issues: [{ path: at, message: `empty: no ${what} document, expected an object` }] };
    }
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) };
  } catch (err) {
    return { ok: false, issues: [{ path: at, message: `not valid ${what}: ${errorText(err)}` }] };
  }
}

/** The yaml library's message, first line only, in this tool's words where it names its own API. */
function yamlProblem(message: string): string {
  const line = (message.split("\n")[0] ?? "").replace(/:$/, "");
  return line.replace(
    /^Source contains multiple documents; please use YAML\.parseAllDocuments\(\)/,
    "more than one document (---): a spec is one",
  );
}

export function validateLifecycle(value: unknown, prefix = ""): Parsed<Lifecycle> {
  const result = LifecycleSchema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  // A Pod's `lifecycle:` pasted whole: say what the label holds instead.
  const wrapper = formatPath(["lifecycle"], prefix);
  const issues = specIssues(result.error, prefix).map((issue) =>
    issue.path === wrapper
      ? {
          path: issue.path,
          message: `${issue.message}: the label holds the value of \`lifecycle:\` (its postStart and preStop), not the key itself`,
        }
      : issue,
  );
  return { ok: false, issues };
}

/** The `hookd.lifecycle` label: absent is `undefined`, present and bad is a list of issues. */
export function lifecycleFromLabels(labels: Record<string, string>): Parsed<Lifecycle> | undefined {
  const raw = labels[LABEL.lifecycle];
  if (raw === undefined) return undefined;
  const parsed = parseSpecText(raw, "json", LABEL.lifecycle);
  return parsed.ok ? validateLifecycle(parsed.value, LABEL.lifecycle) : parsed;
}

export function namedPortsFromLabels(labels: Record<string, string>): Parsed<NamedPorts> {
  const raw = labels[LABEL.ports];
  if (raw === undefined) return { ok: true, value: {} };
  const parsed = parseSpecText(raw, "json", LABEL.ports);
  if (!parsed.ok) return parsed;
  const result = NamedPortsSchema.safeParse(parsed.value);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, issues: specIssues(result.error, LABEL.ports) };
}

export function gracePeriodFromLabels(labels: Record<string, string>): Parsed<number | undefined> {
  const raw = labels[LABEL.gracePeriod];
  if (raw === undefined) return { ok: true, value: undefined };
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isInteger(n) || n < 0) {
    return {
      ok: false,
      issues: [{ path: LABEL.gracePeriod, message: `expected a whole number of seconds ≥ 0, got "${raw}"` }],
    };
  }
  return { ok: true, value: n };
}

export function restartPolicyFromLabels(labels: Record<string, string>): Parsed<RestartPolicy | undefined> {
  const raw = labels[LABEL.restartPolicy];
  if (raw === undefined) return { ok: true, value: undefined };
  const result = RestartPolicySchema.safeParse(raw);
  return result.success
    ? { ok: true, value: result.data }
    : {
        ok: false,
        issues: [{ path: LABEL.restartPolicy, message: `expected Always, OnFailure or Never, got "${raw}"` }],
      };
}

/**
 * The labels that shape what follows a hook, not the hook itself: a bad grace period or restart
 * policy is a warning naming the label, and the default applies. It never blocks a valid hook.
 * `hookd.restart-policy` is Docker's alone (on ECS the service scheduler decides).
 */
export function labelWarnings(labels: Record<string, string>, runtime: "docker" | "ecs"): string[] {
  const graceDefault = runtime === "ecs" ? "the container's stopTimeout, else 30s, applies" : "30s applies";
  const warnings: string[] = [];
  const grace = gracePeriodFromLabels(labels);
  if (!grace.ok)
    warnings.push(...grace.issues.map((i) => `${i.path}: ${i.message}; ignored: ${graceDefault}`));
  const policy = restartPolicyFromLabels(labels);
  if (runtime === "docker" && !policy.ok) {
    warnings.push(
      ...policy.issues.map(
        (i) => `${i.path}: ${i.message}; ignored: the container's Docker restart policy decides`,
      ),
    );
  }
  return warnings;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
