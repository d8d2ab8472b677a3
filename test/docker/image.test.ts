import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { VERSION } from "../../src/version.ts";
import { requireDocker } from "../support/docker.ts";
import { type LockRegistry, startLockRegistry } from "../support/npm-registry.ts";
import { closedLoopbackPort } from "../support/raw-http.ts";
import { until } from "../support/wait.ts";
import { docker } from "./support.ts";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
/** Made from the Node binary running this test: one per Node version, kept for later runs. */
const BASE_IMAGE = `hookd-test/node-base:${process.version}`;

async function ensureBaseImage(host: string): Promise<void> {
  const found = await docker(host, ["image", "inspect", BASE_IMAGE]).then(
    () => true,
    () => false,
  );
  if (found) return;
  await run("bash", [resolve(ROOT, "scripts/node-base-image.sh"), BASE_IMAGE], {
    env: { ...process.env, DOCKER_HOST: host, NODE: process.execPath },
    timeout: 180_000,
  });
}

/**
 * The root Dockerfile as users build it, with the two build arguments it has for this: no registry
 * is reachable here, so the base is a stand-in for node:24-slim made from this machine's Node, and
 * the build's `npm ci` installs from a registry on 127.0.0.1 (test/support/npm-registry.ts).
 */
describe("the root Dockerfile", () => {
  const tag = `hookd-test/hookd:${randomBytes(4).toString("hex")}`;
  const name = `hookd-image-${randomBytes(3).toString("hex")}`;
  let host = "";
  let registry: LockRegistry | undefined;
  afterAll(async () => {
    await registry?.close();
    if (host) {
      await docker(host, ["rm", "-f", name]).catch(() => undefined);
      await docker(host, ["rmi", "-f", tag]).catch(() => undefined);
    }
  });

  it("builds offline; `hookd --version` runs; `hookd serve` answers /healthz as a non-root user, and the HEALTHCHECK says healthy", {
    timeout: 600_000,
  }, async (ctx) => {
    host = requireDocker(ctx);
    const [, lockRegistry] = await Promise.all([
      ensureBaseImage(host),
      startLockRegistry(resolve(ROOT, "package-lock.json")),
    ]);
    registry = lockRegistry;
    // The legacy builder: BuildKit may be missing, and would want to pull its frontend.
    await run(
      "docker",
      [
        "build",
        "--network",
        "host",
        "--build-arg",
        `BASE_IMAGE=${BASE_IMAGE}`,
        "--build-arg",
        `NPM_REGISTRY=${registry.url}/`,
        "-t",
        tag,
        ROOT,
      ],
      {
        env: { ...process.env, DOCKER_HOST: host, DOCKER_BUILDKIT: "0" },
        timeout: 420_000,
        maxBuffer: 64 * 2 ** 20,
      },
    );

    expect(await docker(host, ["run", "--rm", tag, "--version"])).toBe(VERSION);
    const config = JSON.parse(await docker(host, ["image", "inspect", "-f", "{{json .Config}}", tag])) as {
      User: string;
      Entrypoint: string[];
      Healthcheck: { Test: string[] };
    };
    expect(config).toMatchObject({
      User: "node",
      Entrypoint: ["hookd"],
      Healthcheck: { Test: ["CMD", "node", "-e", expect.stringContaining("/healthz")] },
    });

    // The image's own command (serve on every interface, so with a token), on the host network.
    const port = await closedLoopbackPort();
    await docker(host, [
      "run",
      "-d",
      "--name",
      name,
      "--network",
      "host",
      "-e",
      `PORT=${port}`,
      "-e",
      "HOOKD_TOKEN=image-test-t0k",
      "--health-interval",
      "1s",
      tag,
    ]);
    const base = `http://127.0.0.1:${port}`;
    let health: unknown;
    await until(
      "hookd serve in the container to answer /healthz",
      async () => {
        health = await fetch(`${base}/healthz`).then(
          (r) => r.json(),
          () => undefined,
        );
        return health;
      },
      60_000,
    );
    expect(health).toEqual({ status: "ok", version: VERSION });
    expect((await fetch(`${base}/v1/hooks/run`, { method: "POST" })).status).toBe(401);
    expect(await docker(host, ["exec", name, "node", "-p", "process.getuid()"])).not.toBe("0");
    await until(
      "the HEALTHCHECK to report healthy",
      async () => (await docker(host, ["inspect", "-f", "{{.State.Health.Status}}", name])) === "healthy",
      60_000,
    );
  });
});
