/**
 * Start-up: what a user waits for before hookd does anything.
 * - CLI: `hookd validate FILE` (a pre-commit hook, an editor) against `node -e 0` on the same
 *   machine in the same run, and the same command with Node's compile cache switched off
 *   (NODE_DISABLE_COMPILE_CACHE=1), to show what the cache buys.
 * - Service start: `hookd serve --port 0` from spawn until GET /healthz answers, against a bare
 *   node:http server from spawn until it answers.
 * Runs interleaved (order rotated) so that the machine's load falls on every series alike.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { request } from "undici";
import { fmt } from "./client.ts";
import { killOnExit, ROOT } from "./processes.ts";
import { median } from "./support.ts";

export interface StartupOptions {
  runs: number;
}

export interface StartupFigures {
  nodeMs: number[];
  validateMs: number[];
  validateNoCacheMs: number[];
  bareServerMs: number[];
  stackServerMs: number[];
  serveMs: number[];
}

const HOOKD = resolve(ROOT, "bin/hookd.mjs");
const SPEC = JSON.stringify({
  postStart: { httpGet: { path: "/warm", port: 8080 } },
  preStop: { exec: { command: ["/bin/sh", "-c", "nginx -s quit; sleep 5"] } },
});
/** The least a Node HTTP server does before it answers: the baseline of the service's start. */
const BARE_SERVER = `const s = require("node:http").createServer((q, r) => r.end("ok"));
s.listen(0, "127.0.0.1", () => process.stderr.write("listening on http://127.0.0.1:" + s.address().port + "\\n"));
process.stdin.on("end", () => process.exit(0)); process.stdin.resume();`;
/**
 * The floor of the service's start: hookd's own stack doing nothing of hookd's — its libraries
 * loaded (Hono on @hono/node-server, undici, zod, prom-client, yaml), the compile cache on as
 * bin/hookd.mjs has it, and a Hono app answering /healthz.
 */
const STACK_SERVER = `import module from "node:module"; module.enableCompileCache();
const [{ createAdaptorServer }, { Hono }] = await Promise.all([import("@hono/node-server"), import("hono"),
  import("undici"), import("zod"), import("prom-client"), import("yaml")]);
const app = new Hono(); app.get("/healthz", (c) => c.json({ status: "ok" }));
const s = createAdaptorServer({ fetch: app.fetch });
s.listen(0, "127.0.0.1", () => process.stderr.write("listening on http://127.0.0.1:" + s.address().port + "\\n"));`;

/** Runs a command to its end; its wall time in ms. A failure stops the benchmark. */
function timedRun(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<number> {
  const t0 = performance.now();
  const proc = killOnExit(spawn(process.execPath, args, { env, cwd, stdio: "ignore" }));
  return new Promise((done, fail) => {
    proc.once("exit", (code) =>
      code === 0
        ? done(performance.now() - t0)
        : fail(new Error(`bench: node ${args.join(" ")} exited ${code}`)),
    );
  });
}

/** Spawns a server, waits for its "listening on URL" line, polls `path` until 200; then stops it. */
async function timedStart(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  path: string,
): Promise<number> {
  const t0 = performance.now();
  const proc = killOnExit(spawn(process.execPath, args, { env, cwd, stdio: ["pipe", "ignore", "pipe"] }));
  try {
    const url = await new Promise<string>((done, fail) => {
      let seen = "";
      proc.stderr?.on("data", (c: Buffer) => {
        seen += c.toString();
        const m = /listening on (http:\/\/\S+)/.exec(seen);
        if (m?.[1]) done(m[1]);
      });
      proc.once("exit", (code) => fail(new Error(`bench: ${args.join(" ")} exited ${code}: ${seen}`)));
    });
    for (;;) {
      const res = await request(`${url}${path}`, { signal: AbortSignal.timeout(5000) }).catch(
        () => undefined,
      );
      await res?.body.dump();
      if (res?.statusCode === 200) return performance.now() - t0;
      if (performance.now() - t0 > 30_000) throw new Error(`bench: ${url}${path} did not answer 200 in 30 s`);
    }
  } finally {
    const exited = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGTERM");
    await exited;
  }
}

export async function benchStartup(o: StartupOptions): Promise<StartupFigures> {
  const dir = mkdtempSync(join(tmpdir(), "hookd-bench-startup-"));
  const file = join(dir, "lifecycle.json");
  writeFileSync(file, SPEC);
  // The service keeps its state in the working directory (sqlite:.hookd/hookd.db): a scratch one.
  const { NODE_DISABLE_COMPILE_CACHE: _off, ...inherited } = process.env;
  const env: NodeJS.ProcessEnv = { ...inherited, HOOKD_TOKEN: "bench-token" };
  const noCache = { ...env, NODE_DISABLE_COMPILE_CACHE: "1" };
  const series: Array<[keyof StartupFigures, () => Promise<number>]> = [
    ["nodeMs", () => timedRun(["-e", "0"], env, dir)],
    ["validateMs", () => timedRun([HOOKD, "validate", file], env, dir)],
    ["validateNoCacheMs", () => timedRun([HOOKD, "validate", file], noCache, dir)],
    ["bareServerMs", () => timedStart(["-e", BARE_SERVER], env, dir, "/")],
    // In the repository, so that the libraries resolve from its node_modules.
    ["stackServerMs", () => timedStart(["--input-type=module", "-e", STACK_SERVER], env, ROOT, "/healthz")],
    ["serveMs", () => timedStart([HOOKD, "serve", "--port", "0"], env, dir, "/healthz")],
  ];
  const figures: StartupFigures = {
    nodeMs: [],
    validateMs: [],
    validateNoCacheMs: [],
    bareServerMs: [],
    stackServerMs: [],
    serveMs: [],
  };
  try {
    // One unmeasured round: fills the compile cache and the file system's cache.
    for (const [, fn] of series) await fn();
    for (let i = 0; i < o.runs; i++) {
      for (let k = 0; k < series.length; k++) {
        const [name, fn] = series[(i + k) % series.length] as (typeof series)[number];
        figures[name].push(await fn());
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

export function printStartup(f: StartupFigures, o: StartupOptions): void {
  const m = (xs: number[]) => median(xs);
  const row = (name: string, xs: number[]) =>
    `  ${name.padEnd(44)} median ${fmt(m(xs), 0).padStart(5)} ms   (${fmt(Math.min(...xs), 0)}–${fmt(Math.max(...xs), 0)} ms)`;
  console.log(`start-up — ${o.runs} interleaved runs of each (after one unmeasured round)`);
  console.log(row("node -e 0 (baseline)", f.nodeMs));
  console.log(row("hookd validate FILE", f.validateMs));
  console.log(row("hookd validate FILE, compile cache off", f.validateNoCacheMs));
  const cli = m(f.validateMs) / m(f.nodeMs);
  console.log(
    `  ratio validate / node -e 0: ${fmt(cli)}× (goal ≤ 4×: ${cli <= 4 ? "met" : "NOT met"}); ` +
      `without the compile cache ${fmt(m(f.validateNoCacheMs) / m(f.nodeMs))}× (cache on / off ${fmt(m(f.validateMs) / m(f.validateNoCacheMs))}×)`,
  );
  console.log(row("bare node:http server, spawn → 200 (baseline)", f.bareServerMs));
  console.log(row("hookd's libraries + Hono /healthz (floor)", f.stackServerMs));
  console.log(row("hookd serve, spawn → /healthz 200", f.serveMs));
  const serve = m(f.serveMs);
  console.log(
    `  service start median ${fmt(serve / 1000, 3)} s (goal ≤ 0.5 s: ${serve <= 500 ? "met" : "NOT met"}); ` +
      `${fmt(serve / m(f.bareServerMs))}× the bare server's, ${fmt(serve / m(f.stackServerMs))}× the floor's (${fmt(m(f.stackServerMs) / 1000, 3)} s)`,
  );
}
