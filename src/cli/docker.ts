import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { type Config, loadConfig } from "../config.ts";
import { raceDeadline } from "../engine/deadline.ts";
import { createDockerApi, DEFAULT_DOCKER_HOST, type DockerApi } from "../platform/node/docker-api.ts";
import { createNodeStore } from "../platform/node/store.ts";
import { inspectContainer } from "../runtimes/docker/containers.ts";
import { holdEngine } from "../runtimes/docker/engine-lease.ts";
import {
  type HookService,
  inProcessHookService,
  remoteHookService,
} from "../runtimes/docker/hook-service.ts";
import { createReporter, type Reporter } from "../runtimes/docker/report.ts";
import { gracePeriodOf, stopWithPreStop } from "../runtimes/docker/stop.ts";
import { watchDocker } from "../runtimes/docker/watcher.ts";
import { errorText } from "../schema/labels.ts";
import type { Store } from "../store/port.ts";
import { abandonedNote, exitSoon, untilStopSignal } from "./signals.ts";

const USAGE = `usage:
  hookd docker watch [--service URL] [--label KEY[=VALUE]]… [--json]
  hookd docker stop CONTAINER [-t SECONDS] [--service URL] [--json]`;

/** `hookd docker watch|stop`: the Docker adapter (contract §5). */
export async function dockerCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === "watch") return await watchCommand(rest);
  if (sub === "stop") return await stopCommand(rest);
  console.error(`hookd docker: ${sub ? `unknown subcommand "${sub}"` : "a subcommand is needed"}\n${USAGE}`);
  return 2;
}

const COMMON = { service: { type: "string" }, json: { type: "boolean", default: false } } as const;

function hookServiceFor(url: string | undefined, config: Config, store?: Store): HookService {
  // To a remote service: the first of HOOKD_TOKEN's tokens (the current one while rotating).
  return url
    ? remoteHookService(url, config.tokens[0], config.defaultTimeoutSeconds)
    : inProcessHookService(process.env, store);
}

function reporterFor(json: boolean): Reporter {
  return createReporter({ out: process.stdout, err: process.stderr, json });
}

async function watchCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...COMMON, label: { type: "string", multiple: true } },
    strict: true,
  });
  const config = loadConfig(process.env);
  const store = createNodeStore({
    setting: config.store,
    retentionHours: config.retentionHours,
    runtime: "node",
  });
  const engine = process.env.DOCKER_HOST || DEFAULT_DOCKER_HOST;
  const owner = `${hostname()} pid ${process.pid} since ${new Date().toISOString()}`;
  const reporter = reporterFor(values.json);
  const controller = new AbortController();
  const held = await holdEngine(store, engine, owner, (why) => {
    reporter.error(undefined, `${why}: stopping`);
    controller.abort();
  }).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  if ("heldBy" in held) {
    console.error(
      `hookd docker watch: ${engine} is already watched through ${store.name} by ${held.heldBy}; a second watcher would run nothing (stop that one, or give this one another HOOKD_STORE)`,
    );
    await store.close();
    return 1;
  }
  const api = createDockerApi();
  const service = hookServiceFor(values.service, config, store);
  const seconds = config.shutdownSeconds;
  void untilStopSignal(
    "hookd docker watch",
    `finishing hooks in flight (at most HOOKD_SHUTDOWN_SECONDS=${seconds}s), then exiting`,
    () => controller.abort(),
  );
  let abandoned: number;
  try {
    const outcome = await watchDocker({
      api,
      service,
      reporter,
      backoffInitialMs: config.backoffInitialMs,
      backoffMaxMs: config.backoffMaxMs,
      store,
      labels: values.label ?? [],
      signal: controller.signal,
      shutdownMs: seconds * 1000,
    });
    abandoned = outcome.abandoned.length;
  } finally {
    // What was abandoned may still hold a connection: closing waits for nothing then.
    await raceDeadline(Promise.all([service.close(), api.close()]), 1_000);
    await held.release();
    await store.close();
  }
  if (abandoned > 0)
    console.error(abandonedNote("hookd docker watch", `${abandoned} container hook(s)`, seconds));
  return exitSoon(abandoned > 0 ? 1 : 0);
}

async function stopCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...COMMON, t: { type: "string", short: "t" }, time: { type: "string" } },
    allowPositionals: true,
    strict: true,
  });
  const [name, ...extra] = positionals;
  if (!name || extra.length > 0) {
    console.error(`hookd docker stop: exactly one CONTAINER is needed\n${USAGE}`);
    return 2;
  }
  const secondsText = values.t ?? values.time;
  const seconds = secondsText === undefined ? undefined : Number(secondsText);
  if (seconds !== undefined && (!Number.isInteger(seconds) || seconds < 0)) {
    console.error(`hookd docker stop: -t must be a whole number of seconds ≥ 0, got "${secondsText}"`);
    return 2;
  }
  const config = loadConfig(process.env);
  const api: DockerApi = createDockerApi();
  const service = hookServiceFor(values.service, config);
  const reporter = reporterFor(values.json);
  try {
    const container = await inspectContainer(api, name);
    if (!container) {
      console.error(
        `hookd docker stop: no such container "${name}" on ${process.env.DOCKER_HOST || "the engine"}`,
      );
      return 1;
    }
    const grace = gracePeriodOf(container, reporter, seconds);
    const { preStop } = await stopWithPreStop(api, service, container, grace, reporter);
    if (preStop && preStop.outcome !== "succeeded") {
      console.error(`hookd docker stop: ${container.name}: preStop ${preStop.outcome}: ${preStop.message}`);
    }
    reporter.action(container, "stopped", "stopped");
    return 0;
  } catch (err) {
    console.error(`hookd docker stop: ${name}: ${errorText(err)}`);
    return 1;
  } finally {
    await service.close();
    await api.close();
  }
}
