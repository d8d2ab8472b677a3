import { execFile } from "node:child_process";
import { readdir } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(resolve(ROOT, dir), { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(ROOT, resolve(e.parentPath, e.name)));
}

describe("the npm package (`files` in package.json)", () => {
  it("holds what a user runs and reads, and nothing of the tests, benchmarks, infra or CI", async () => {
    const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: ROOT,
      timeout: 60_000,
    });
    const [pack] = JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>;
    const paths = (pack?.files ?? []).map((f) => f.path).sort();

    for (const needed of ["package.json", "README.md", "LICENSE", "CHANGELOG.md", "wrangler.toml"]) {
      expect(paths).toContain(needed);
    }
    // Everything the `hookd` command loads, and the JSON Schema editors use.
    const shipped = [
      ...(await filesUnder("bin")),
      ...(await filesUnder("src")),
      ...(await filesUnder("schema")),
    ];
    expect(shipped.length).toBeGreaterThan(50);
    expect(paths).toEqual(expect.arrayContaining(shipped));

    const unwanted = paths.filter((p) =>
      /^(test|bench|infra|examples|scripts|node_modules|coverage|\.ci|\.wrangler|\.hookd)\/|cdk\.out|\.dev\.vars|^Dockerfile$|^\.docker/.test(
        p,
      ),
    );
    expect(unwanted).toEqual([]);
  });
});
