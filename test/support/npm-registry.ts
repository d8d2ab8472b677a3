import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

interface LockEntry {
  name?: string;
  version?: string;
  dev?: boolean;
  os?: string[];
  cpu?: string[];
}

interface Packed {
  name: string;
  version: string;
  filename: string;
  integrity: string;
}

export interface LockRegistry {
  url: string;
  close(): Promise<void>;
}

/** name@version of every package `npm ci --omit=dev` installs here, from package-lock.json. */
async function productionPackages(lockFile: string): Promise<string[]> {
  const lock = JSON.parse(await readFile(lockFile, "utf8")) as { packages: Record<string, LockEntry> };
  const specs = new Set<string>();
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path === "" || entry.dev || entry.version === undefined) continue;
    if (entry.os && !entry.os.includes(process.platform)) continue;
    if (entry.cpu && !entry.cpu.includes(process.arch)) continue;
    specs.add(`${entry.name ?? path.slice(path.lastIndexOf("node_modules/") + 13)}@${entry.version}`);
  }
  return [...specs];
}

/**
 * A read-only npm registry on 127.0.0.1 holding the production dependencies of a lock file, taken
 * from npm's own cache (`npm pack --offline`: the `npm ci` that installed this checkout put them
 * there), so that a Dockerfile's `npm ci --omit=dev` runs where no registry is reachable. It
 * answers what `npm ci` asks: a packument per name, and the tarballs it names.
 */
export async function startLockRegistry(lockFile: string): Promise<LockRegistry> {
  const dir = await mkdtemp(join(tmpdir(), "hookd-registry-"));
  const specs = await productionPackages(lockFile);
  const { stdout } = await run("npm", ["pack", ...specs, "--offline", "--json", "--pack-destination", dir], {
    cwd: dir,
    maxBuffer: 64 * 2 ** 20,
    timeout: 120_000,
  });
  const packed = JSON.parse(stdout) as Packed[];
  const byName = new Map<string, Packed[]>();
  for (const p of packed) byName.set(p.name, [...(byName.get(p.name) ?? []), p]);

  const server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? "/", "http://registry").pathname).slice(1);
      if (path.startsWith("-/tarballs/")) {
        const file = packed.find((p) => p.filename === path.slice("-/tarballs/".length));
        if (!file) return res.writeHead(404).end();
        const body = await readFile(join(dir, file.filename));
        return res.writeHead(200, { "content-type": "application/octet-stream" }).end(body);
      }
      const versions = byName.get(path);
      if (!versions)
        return res.writeHead(404, { "content-type": "application/json" }).end('{"error":"not found"}');
      const packument = {
        name: path,
        "dist-tags": { latest: versions[versions.length - 1]?.version },
        versions: Object.fromEntries(
          versions.map((v) => [
            v.version,
            {
              name: v.name,
              version: v.version,
              dist: {
                tarball: `${url}/-/tarballs/${encodeURIComponent(v.filename)}`,
                integrity: v.integrity,
              },
            },
          ]),
        ),
      };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(packument));
    })().catch((err: unknown) => res.writeHead(500).end(String(err)));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
