/**
 * Node side of the "workers" vitest project (tests in test/workers/** run inside workerd).
 *
 * workerd's fetch reaches 127.0.0.1, so Worker tests talk to real servers started here, in Node.
 * To give workerd tests a Node-side server of your own (e.g. a fake ECS endpoint):
 *   1. add a global setup file to the workers project's `globalSetup` list in vitest.config.ts
 *      (or extend this one) that starts the server on 127.0.0.1, port 0;
 *   2. `project.provide("yourKey", url)` and declare `yourKey` in vitest's `ProvidedContext`
 *      (see the `declare module "vitest"` block below);
 *   3. in a test: `const url = inject("yourKey")`, then either fetch it directly, or hand it to the
 *      Worker as a binding with `callWorker(request, { AWS_ENDPOINT_URL_ECS: url })`
 *      (test/workers/worker-client.ts); a binding for every test goes in test/workers/pool-options.ts.
 * Keep servers on 127.0.0.1: the tests must not reach anything else.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import { selfSignedCert } from "../support/tls.ts";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");

export type WorkerBundle = { ok: true; path: string; bytes: number } | { ok: false; error: string };

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of the loopback target (see `answerTarget`). */
    loopbackTarget: string;
    /** The same target over HTTPS with a self-signed certificate (Workers refuse it). */
    selfSignedTarget: string;
    /** The Worker as `wrangler deploy --dry-run` builds it, or why the build failed. */
    workerBundle: WorkerBundle;
  }
}

/**
 * The target of httpGet hooks: answers `/status/<code>` with that code, `/redirect?to=<path>`
 * with a 302, `/hang` never; every answer's body is the request as JSON, so a workerd test reads
 * what the target received from the hook result's `output`.
 */
function answerTarget(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? "/", "http://target");
  if (url.pathname === "/hang") return;
  if (url.pathname === "/redirect") {
    res.writeHead(302, { location: url.searchParams.get("to") ?? "/" }).end();
    return;
  }
  const code = /^\/status\/(\d{3})$/.exec(url.pathname)?.[1];
  const echo = JSON.stringify({ method: req.method, url: req.url, headers: req.headers });
  res.writeHead(code ? Number(code) : 200, { "content-type": "application/json" }).end(echo);
}

/** Builds the Worker exactly as a deploy would, offline; a failure is reported to the tests, which fail. */
async function buildWorkerBundle(outdir: string): Promise<WorkerBundle> {
  const wrangler = join(ROOT, "node_modules/wrangler/bin/wrangler.js");
  try {
    await run(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir], {
      cwd: ROOT,
      timeout: 120_000,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
    });
    const path = join(outdir, "worker.js");
    return { ok: true, path, bytes: (await stat(path)).size };
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    const output = `${e.stdout ?? ""}\n${e.stderr ?? ""}`.trim();
    return {
      ok: false,
      error: `wrangler deploy --dry-run --outdir ${outdir} failed: ${output || e.message}`,
    };
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = createServer(answerTarget);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  project.provide("loopbackTarget", `http://127.0.0.1:${port}`);
  const tls = createTlsServer(selfSignedCert(), answerTarget);
  await new Promise<void>((r) => tls.listen(0, "127.0.0.1", r));
  project.provide("selfSignedTarget", `https://127.0.0.1:${(tls.address() as AddressInfo).port}`);

  const outdir = await mkdtemp(join(tmpdir(), "hookd-worker-bundle-"));
  project.provide("workerBundle", await buildWorkerBundle(outdir));

  return async () => {
    for (const s of [server, tls]) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
    await rm(outdir, { recursive: true, force: true });
  };
}
