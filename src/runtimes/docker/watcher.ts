import { raceDeadline } from "../../engine/deadline.ts";
import type { DockerApi } from "../../platform/node/docker-api.ts";
import { errorText, LABEL } from "../../schema/labels.ts";
import { type Store, StoreError } from "../../store/port.ts";
import { LruMap } from "../lru.ts";
import {
  type AbandonedStart,
  type ClaimedStart,
  forgetAbandonedStart,
  readAbandonedStarts,
  releaseAbandoned,
} from "./abandoned-starts.ts";
import { type DockerContainer, inspectContainer } from "./containers.ts";
import { abortableDelay, type ContainerStartEvent, containerStarts } from "./events.ts";
import type { HookService } from "./hook-service.ts";
import type { Reporter } from "./report.ts";
import { killAndMaybeRestart, type RestartContext } from "./restart.ts";
import { RestartBackoff } from "./restart-backoff.ts";
import { eventContainer } from "./stop.ts";

export interface WatchOptions {
  api: DockerApi;
  service: HookService;
  reporter: Reporter;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** HOOKD_STORE: the claims of container starts and the restart backoff, shared by watchers. */
  store: Store;
  /** Only containers with these labels (`KEY` or `KEY=VALUE`, all of them), besides `hookd.lifecycle`. */
  labels?: string[];
  signal: AbortSignal;
  /** Once `signal` aborts, the most to wait for the work in flight (HOOKD_SHUTDOWN_SECONDS); default: no limit. */
  shutdownMs?: number;
  /**
   * The engine (DOCKER_HOST), naming the list of starts abandoned at shutdown in the store: this
   * watcher runs the ones its predecessor left, and leaves its own to the next. Without it, an
   * abandoned start's claim is still released, but no later watcher is told of it.
   */
  engine?: string;
}

/** A container's work the watcher gave up on at shutdown. */
export interface AbandonedWork {
  container: { id: string; name: string };
  what: string;
}

/**
 * What of HOOKD_SHUTDOWN_SECONDS the drain leaves (contract §8: shutdown takes at most that): half
 * of it to release the abandoned claims, the rest to close the connections, the engine lease and
 * the store.
 */
export function shutdownReserveMs(shutdownMs: number): number {
  return Math.min(2_000, shutdownMs / 2);
}

/** Remembers at most this many handled events, oldest forgotten first. */
const SEEN_LIMIT = 10_000;
/** A store that cannot answer is asked again after these delays, then the start is reported lost. */
const STORE_RETRY_MS = [250, 500, 1_000, 2_000, 4_000, 8_000];

type Seen = LruMap<string, true>;

/** Records `key`; false if it was already there. */
function firstTime(seen: Seen, key: string): boolean {
  if (seen.has(key)) return false;
  seen.set(key, true);
  return true;
}

/**
 * `hookd docker watch`: runs `postStart` for every labelled container start and applies the answer.
 * Returns once `signal` is aborted and the hooks in flight are done (pending restarts are dropped),
 * or `shutdownMs` later with the work it abandoned, each reported.
 */
export async function watchDocker(options: WatchOptions): Promise<{ abandoned: AbandonedWork[] }> {
  const { api, reporter, signal } = options;
  const backoff = new RestartBackoff(options.backoffInitialMs, options.backoffMaxMs, options.store);
  const seen: Seen = new LruMap(SEEN_LIMIT);
  // One chain per container: its starts are handled in order, different containers concurrently.
  const chains = new Map<string, Promise<void>>();
  const inFlight = new Map<Promise<void>, AbandonedWork>();
  const track = (work: Promise<void>, about: AbandonedWork) => {
    inFlight.set(work, about);
    void work.finally(() => inFlight.delete(work));
  };

  // Starts whose postStart is running, by container (one start of a container at a time).
  const claimed = new Map<string, ClaimedStart>();
  const ctx: StartContext = { ...options, backoff, track, claimed };

  /** `abandoned`: only that start of the container (one a previous watcher abandoned). */
  const handle = (event: ContainerStartEvent, abandoned?: AbandonedStart) => {
    const eventKey = `event ${event.id} ${event.timeNano}`;
    if (!firstTime(seen, eventKey)) return;
    const previous = chains.get(event.id) ?? Promise.resolve();
    const next = previous
      .then(() => handleStart(event.id, ctx, abandoned))
      .catch((err: unknown) => {
        // The engine may replay this event after a reconnect: let it try again (the start's own
        // key still keeps a hook that did run from running twice).
        seen.delete(eventKey);
        reporter.error({ id: event.id, name: event.id.slice(0, 12) }, errorText(err));
      });
    chains.set(event.id, next);
    track(next, { container: { id: event.id, name: event.id.slice(0, 12) }, what: "postStart" });
    void next.finally(() => {
      if (chains.get(event.id) === next) chains.delete(event.id);
    });
  };

  // Read while the event stream connects, not before it: a start in between would be missed.
  // Once the watcher is stopping, the starts stay on the list for the next one.
  const leftByLast = readAbandonedStarts(options).then((starts) => {
    for (const start of signal.aborted ? [] : starts) {
      reporter.status(
        `hookd docker watch: running the postStart of ${start.id.slice(0, 12)} (started ${start.startedAt}), abandoned by the last watcher at shutdown`,
      );
      handle({ id: start.id, timeNano: `abandoned ${start.startedAt}` }, start);
    }
  });

  const events = containerStarts(api, {
    signal,
    labels: options.labels ?? [],
    onConnected: (since) =>
      reporter.status(
        since
          ? `hookd docker watch: reconnected to the engine, resuming from ${since}`
          : `hookd docker watch: watching container starts (hooks ${options.service.where})`,
      ),
    onDisconnected: (reason, retryInMs) =>
      reporter.status(`hookd docker watch: engine lost (${reason}); reconnecting in ${retryInMs}ms`),
  });
  for await (const event of events) handle(event);
  const drained = (async () => {
    await leftByLast;
    while (inFlight.size > 0) await Promise.allSettled([...inFlight.keys()]);
  })();
  if (options.shutdownMs === undefined) await drained;
  else if (
    (await raceDeadline(drained, options.shutdownMs - shutdownReserveMs(options.shutdownMs))) === "deadline"
  ) {
    const abandoned = [...inFlight.values()];
    // Contract §8: an abandoned start's claim is released, so that the next watcher runs it.
    const starts = new Map(claimed);
    const releasing = releaseAbandoned(
      [...starts.values()],
      options,
      shutdownReserveMs(options.shutdownMs) / 2,
    );
    ctx.abandoning = releasing;
    const released = await releasing;
    const limit = `still running after HOOKD_SHUTDOWN_SECONDS (${options.shutdownMs / 1000}s)`;
    for (const a of abandoned) {
      const start = starts.get(a.container.id);
      // A memory store ends with this process: nothing is left for a next watcher.
      const kept = options.store.name !== "memory";
      const then = !start
        ? ""
        : !released
          ? "; its claim could not be released (see above)"
          : kept
            ? `; its claim is released: the next watcher on this engine and store runs it (start ${start.startedAt})`
            : `; HOOKD_STORE=memory keeps nothing: no later watcher runs it (start ${start.startedAt})`;
      reporter.error(start?.container ?? a.container, `${a.what} abandoned at shutdown: ${limit}${then}`);
    }
    return { abandoned };
  }
  return { abandoned: [] };
}

interface StartContext extends WatchOptions, RestartContext {
  claimed: Map<string, ClaimedStart>;
  /** Set at shutdown once the starts in flight are abandoned: their release (and remembering). */
  abandoning?: Promise<unknown>;
}

async function handleStart(id: string, ctx: StartContext, abandoned?: AbandonedStart): Promise<void> {
  const claimed = await claimStart(id, ctx, abandoned?.startedAt);
  // Claimed here, or nothing left to run: the last watcher's list no longer needs it. (Until then
  // it stays there: a store that failed the claim, or a crash, leaves it to the next watcher.)
  if (abandoned) await forgetAbandonedStart(ctx, abandoned);
  if (!claimed) return;
  const { container, startKey } = claimed;
  ctx.claimed.set(container.id, {
    key: startKey,
    container: { id: container.id, name: container.name },
    startedAt: container.startedAt,
  });
  let answer: Awaited<ReturnType<HookService["send"]>>;
  try {
    answer = await ctx.service.send({
      phase: "postStart",
      container: eventContainer(container),
    });
  } catch (err) {
    // The service answered that it ran nothing (a bad label, a refused token, its store down): not
    // done, a replay of the start may do it. (A service that took the request and then gave no
    // answer, or could not be reached until the hook's deadline, is a failed result, not this.)
    await ctx.store.release(startKey).catch(() => undefined);
    ctx.reporter.error(container, `postStart not run: ${errorText(err)}`);
    return;
  } finally {
    ctx.claimed.delete(container.id);
  }
  // A hook abandoned at shutdown (its start left to the next watcher) that finished after all,
  // before the process exits: taken off the list again, or the next watcher would run it twice.
  if (ctx.abandoning && ctx.engine !== undefined) {
    const start = { id: container.id, startedAt: container.startedAt };
    await ctx.abandoning.then(() => forgetAbandonedStart(ctx, start));
  }
  if (answer.result) ctx.reporter.hook(container, answer.result, answer.action);
  if (answer.action === "kill") await killAndMaybeRestart(container, ctx);
}

/** The claim of the container's current start (only `onlyStartedAt`, if given); undefined: nothing to run. */
async function claimStart(
  id: string,
  ctx: StartContext,
  onlyStartedAt?: string,
): Promise<{ container: DockerContainer; startKey: string } | undefined> {
  const container = await inspectContainer(ctx.api, id);
  // Gone or already down again: there is nothing to hook into.
  if (!container?.running) return undefined;
  if (container.labels[LABEL.lifecycle] === undefined) return undefined;
  // An abandoned start the container has since left (restarted): that start is long over.
  if (onlyStartedAt !== undefined && container.startedAt !== onlyStartedAt) return undefined;
  // One run per start of the container, however many events (replays, reconnects, restarted or
  // second watchers sharing the store) report it.
  const startKey = `docker start ${container.id} ${container.startedAt}`;
  return (await claimWithRetry(ctx, startKey)) ? { container, startKey } : undefined;
}

/**
 * The start's claim; a store that cannot answer is asked again (contract §7: the Docker adapter
 * retries) until the watcher stops. Throws the last StoreError when every retry failed.
 */
async function claimWithRetry(ctx: StartContext, key: string): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await ctx.store.claim(key);
    } catch (err) {
      const wait = STORE_RETRY_MS[attempt];
      if (!(err instanceof StoreError) || wait === undefined || ctx.signal.aborted) throw err;
      ctx.reporter.status(`hookd docker watch: ${errorText(err)}; retrying in ${wait}ms`);
      await abortableDelay(wait, ctx.signal);
    }
  }
}
