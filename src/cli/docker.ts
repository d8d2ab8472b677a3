import { hostname } from "node:os";
import type { HookService } from "../runtimes/docker/hook-service.ts";
import type { Reporter } from "../runtimes/docker/report.ts";
import { errorText } from "../schema/labels.ts";
import { type Config, loadConfig } from "../schema/settings.ts";
import type { Store } from "../store/port.ts";
import { defineCommand, EXIT, httpUrlFlag, UsageError, wholeNumberFlag } from "./command.ts";
import { abandonedNote, exitSoon, untilStopSignal } from "./signals.ts";

/** Closing after a watch that ended without a stop (it failed): the most it waits. */
const CLEAN_UP_MS = 5_000;

/** Loaded when a Docker command runs: `hookd validate` and `--help` start without them. */
async function dockerModules() {
  const [deadline, api, store, containers, lease, hookService, report, stop, watcher] = await Promise.all([
    import("../engine/deadline.ts"),
    import("../platform/node/docker-api.ts"),
    import("../platform/node/store.ts"),
    import("../runtimes/docker/containers.ts"),
    import("../runtimes/docker/engine-lease.ts"),
    import("../runtimes/docker/hook-service.ts"),
    import("../runtimes/docker/report.ts"),
    import("../runtimes/docker/stop.ts"),
    import("../runtimes/docker/watcher.ts"),
  ]);
  return {
    ...deadline,
    ...api,
    ...store,
    ...containers,
    ...lease,
    ...hookService,
    ...report,
    ...stop,
    ...watcher,
  };
}
type DockerModules = Awaited<ReturnType<typeof dockerModules>>;

const COMMON = { service: { type: "string" }, json: { type: "boolean", default: false } } as const;
const COMMON_HELP = [
  ["--service URL", "send hooks to this hookd service (HOOKD_TOKEN as its bearer); default: run them here"],
  ["--json", "JSON lines on stdout instead of text"],
] as const;

function hookServiceFor(
  m: DockerModules,
  url: string | undefined,
  config: Config,
  store?: Store,
): HookService {
  // To a remote service: the first of HOOKD_TOKEN's tokens (the current one while rotating).
  return url
    ? m.remoteHookService(url, config.tokens[0], config.defaultTimeoutSeconds)
    : m.inProcessHookService(process.env, store);
}

function reporterFor(m: DockerModules, json: boolean): Reporter {
  return m.createReporter({ out: process.stdout, err: process.stderr, json });
}

/** `hookd docker watch`: the Docker adapter (contract §5), until SIGTERM or SIGINT. */
export const dockerWatchCommand = defineCommand({
  name: "docker watch",
  summary: "run postStart for labelled container starts, and apply the result (docs/docker.md)",
  usage: "hookd docker watch [--service URL] [--label KEY[=VALUE]]… [--json]",
  description:
    "Watches the Docker engine at DOCKER_HOST for starts of containers labelled hookd.lifecycle,\nruns their postStart and applies the outcome: a failed postStart stops the container, and its\nrestart policy (hookd.restart-policy) decides what follows, with backoff.",
  options: { ...COMMON, label: { type: "string", multiple: true } },
  optionHelp: [
    ...COMMON_HELP,
    ["--label KEY[=VALUE]", "only containers that also carry this label (repeatable: all must match)"],
  ],
  example: "hookd docker watch --label com.docker.compose.project=shop --json",
  async run(values) {
    if (values.service !== undefined) httpUrlFlag("--service", values.service);
    const config = loadConfig(process.env);
    const m = await dockerModules();
    const store = m.createNodeStore({
      setting: config.store,
      retentionHours: config.retentionHours,
      runtime: "node",
    });
    const engine = process.env.DOCKER_HOST || m.DEFAULT_DOCKER_HOST;
    const owner = `${hostname()} pid ${process.pid} since ${new Date().toISOString()}`;
    const reporter = reporterFor(m, values.json);
    const controller = new AbortController();
    const held = await m
      .holdEngine(store, engine, owner, (why) => {
        reporter.error(undefined, `${why}: stopping`);
        controller.abort();
      })
      .catch(async (err: unknown) => {
        await store.close();
        throw err;
      });
    if ("heldBy" in held) {
      console.error(
        `hookd docker watch: ${engine} is already watched through ${store.name} by ${held.heldBy}; a second watcher would run nothing (stop that one, or give this one another HOOKD_STORE)`,
      );
      await store.close();
      return EXIT.failed;
    }
    const api = m.createDockerApi();
    const service = hookServiceFor(m, values.service, config, store);
    const seconds = config.shutdownSeconds;
    // Contract §8: from the stop, everything — the drain, the release of abandoned claims, the
    // clean-up below — takes at most HOOKD_SHUTDOWN_SECONDS.
    let stopBy: number | undefined;
    controller.signal.addEventListener("abort", () => {
      stopBy = Date.now() + seconds * 1000;
    });
    void untilStopSignal(
      "hookd docker watch",
      `finishing hooks in flight (at most HOOKD_SHUTDOWN_SECONDS=${seconds}s), then exiting`,
      () => controller.abort(),
    );
    let abandoned: number;
    try {
      const outcome = await m.watchDocker({
        api,
        service,
        reporter,
        backoffInitialMs: config.backoffInitialMs,
        backoffMaxMs: config.backoffMaxMs,
        store,
        labels: values.label ?? [],
        signal: controller.signal,
        shutdownMs: seconds * 1000,
        engine,
      });
      abandoned = outcome.abandoned.length;
    } finally {
      const left = () => Math.max(0, (stopBy ?? Date.now() + CLEAN_UP_MS) - Date.now());
      // What was abandoned may still hold a connection: closing waits for nothing then.
      await m.raceDeadline(Promise.all([service.close(), api.close()]), Math.min(1_000, left()));
      // Past the bound the process exits without them: the lease then expires on its own.
      const closed = (async () => {
        await held.release();
        await store.close();
      })().catch((err: unknown) => reporter.error(undefined, `closing ${store.name}: ${errorText(err)}`));
      if ((await m.raceDeadline(closed, left())) === "deadline") {
        reporter.error(undefined, `engine lease and ${store.name} not closed within HOOKD_SHUTDOWN_SECONDS`);
      }
    }
    if (abandoned > 0) {
      console.error(abandonedNote("hookd docker watch", `${abandoned} container hook(s)`, seconds));
    }
    const linger = stopBy === undefined ? undefined : Math.max(0, stopBy - Date.now());
    return exitSoon(abandoned > 0 ? EXIT.failed : EXIT.done, linger);
  },
});

/** `hookd docker stop`: preStop, then the stop, within the container's grace period. */
export const dockerStopCommand = defineCommand({
  name: "docker stop",
  summary: "run a container's preStop, then stop it within the grace period",
  usage: "hookd docker stop CONTAINER [-t SECONDS] [--service URL] [--json]",
  description:
    "Runs the preStop hook of CONTAINER (a name or ID), then stops it with what is left of its grace\nperiod (-t, else hookd.termination-grace-period-seconds, else 30) before SIGKILL. It exits 0\nonce the container is stopped, whatever the hook's outcome (reported on stderr).",
  options: { ...COMMON, t: { type: "string", short: "t" }, time: { type: "string" } },
  optionHelp: [["-t, --time SECONDS", "the grace period, shared by preStop and the stop"], ...COMMON_HELP],
  example: "hookd docker stop web -t 20",
  positionals: true,
  async run(values, positionals) {
    const [name, ...extra] = positionals;
    if (!name || extra.length > 0) {
      throw new UsageError(`exactly one CONTAINER is needed, got ${positionals.length}`);
    }
    const secondsText = values.t ?? values.time;
    const seconds =
      secondsText === undefined
        ? undefined
        : wholeNumberFlag("-t", secondsText, 0, 86_400, "a whole number of seconds");
    if (values.service !== undefined) httpUrlFlag("--service", values.service);
    const config = loadConfig(process.env);
    const m = await dockerModules();
    const api = m.createDockerApi();
    const service = hookServiceFor(m, values.service, config);
    const reporter = reporterFor(m, values.json);
    try {
      const container = await m.inspectContainer(api, name);
      if (!container) {
        console.error(
          `hookd docker stop: no such container "${name}" on ${process.env.DOCKER_HOST || m.DEFAULT_DOCKER_HOST}`,
        );
        return EXIT.failed;
      }
      const grace = m.gracePeriodOf(container, reporter, seconds);
      const { preStop } = await m.stopWithPreStop(api, service, container, grace, reporter);
      if (preStop && preStop.outcome !== "succeeded") {
        console.error(`hookd docker stop: ${container.name}: preStop ${preStop.outcome}: ${preStop.message}`);
      }
      reporter.action(container, "stopped", "stopped");
      return EXIT.done;
    } catch (err) {
      console.error(`hookd docker stop: ${name}: ${errorText(err)}`);
      return EXIT.failed;
    } finally {
      await service.close();
      await api.close();
    }
  },
});
