import type { z } from "zod";

export interface SpecIssue {
  path: string;
  message: string;
}

/** `postStart.httpGet.httpHeaders[0].name`: the path of a bad field as users write it. */
export function formatPath(path: readonly PropertyKey[], prefix = ""): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out;
}

export function specIssues(error: z.ZodError, prefix = ""): SpecIssue[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      // One issue per unknown key, each named by its full path.
      return issue.keys.map((key) => ({
        path: formatPath([...issue.path, key], prefix),
        message: `unknown field "${key}"`,
      }));
    }
    return [{ path: formatPath(issue.path, prefix) || "(root)", message: issue.message }];
  });
}

export function describeIssues(issues: readonly SpecIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join("; ");
}
