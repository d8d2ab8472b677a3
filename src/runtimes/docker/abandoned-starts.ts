import { raceDeadline } from "../../engine/deadline.ts";
import { errorText } from "../../schema/labels.ts";
import type { Store } from "../../store/port.ts";
import type { Reporter } from "./report.ts";

/**
 * A container start whose postStart a stopping watcher gave up on (contract §8): its claim was
 * released, and the engine will not report the start again, so the watcher that comes next on
 * the engine (sharing HOOKD_STORE) is told here to run it.
 */
export interface AbandonedStart {
  id: string;
  startedAt: string;
}

/** Past this, a container still on its abandoned start has had no postStart for a day: not run late. */
const KEEP_MS = 24 * 3_600_000;

/** One list per engine and label scope (`--label`): what one watcher left, the next like it runs. */
function keyOf(engine: string, labels: readonly string[]): string {
  return `docker abandoned starts ${engine} ${[...labels].sort().join(",")}`;
}

function parse(value: unknown): AbandonedStart[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (v: unknown): v is AbandonedStart =>
      typeof v === "object" &&
      v !== null &&
      typeof (v as AbandonedStart).id === "string" &&
      typeof (v as AbandonedStart).startedAt === "string",
  );
}

// One watcher per process: its read-modify-writes of the list run one at a time, so that two
// starts taken off it at once do not put each other back.
let writes: Promise<unknown> = Promise.resolve();
function oneAtATime<T>(work: () => Promise<T>): Promise<T> {
  const next = writes.then(work, work);
  writes = next.catch(() => undefined);
  return next;
}

function same(a: AbandonedStart, b: AbandonedStart): boolean {
  return a.id === b.id && a.startedAt === b.startedAt;
}

/** Adds `starts` to the list the next watcher reads. */
function rememberAbandoned(
  store: Store,
  engine: string,
  labels: readonly string[],
  starts: readonly AbandonedStart[],
): Promise<void> {
  const key = keyOf(engine, labels);
  return oneAtATime(async () => {
    const all = [...parse(await store.getState(key)), ...starts];
    const unique = all.filter((s, i) => all.findIndex((o) => same(o, s)) === i);
    await store.putState(key, unique, KEEP_MS);
  });
}

/**
 * The starts left by the last watcher. They stay on the list until `forgetAbandoned`: a watcher
 * that stops (or crashes) before it claimed one leaves it to the next.
 */
async function readAbandoned(
  store: Store,
  engine: string,
  labels: readonly string[],
): Promise<AbandonedStart[]> {
  return parse(await store.getState(keyOf(engine, labels)));
}

/** Takes `start` off the list: its claim is won, or it has nothing left to run. */
function forgetAbandoned(
  store: Store,
  engine: string,
  labels: readonly string[],
  start: AbandonedStart,
): Promise<void> {
  const key = keyOf(engine, labels);
  return oneAtATime(async () => {
    const starts = parse(await store.getState(key));
    const left = starts.filter((s) => !same(s, start));
    if (left.length < starts.length) await store.putState(key, left, KEEP_MS);
  });
}

/** Where the list lives and what reports on it (the watcher's options): no `engine`, no list. */
export interface AbandonedList {
  store: Store;
  engine?: string;
  labels?: string[];
  reporter: Reporter;
}

/** A start whose claim this watcher holds while its postStart runs: released if abandoned. */
export interface ClaimedStart {
  key: string;
  container: { id: string; name: string };
  startedAt: string;
}

/** The starts the last watcher abandoned; a store that cannot answer is reported, not fatal. */
export async function readAbandonedStarts(options: AbandonedList): Promise<AbandonedStart[]> {
  if (options.engine === undefined) return [];
  try {
    return await readAbandoned(options.store, options.engine, options.labels ?? []);
  } catch (err) {
    options.reporter.error(undefined, `starts abandoned by the last watcher not read: ${errorText(err)}`);
    return [];
  }
}

/** Releases the claims of `starts` and tells the next watcher of them, within `deadlineMs`. */
export async function releaseAbandoned(
  starts: ClaimedStart[],
  options: AbandonedList,
  deadlineMs: number,
): Promise<boolean> {
  if (starts.length === 0) return true;
  const { store, engine } = options;
  const work = (async () => {
    for (const s of starts) await store.release(s.key);
    const left = starts.map((s) => ({ id: s.container.id, startedAt: s.startedAt }));
    if (engine !== undefined) await rememberAbandoned(store, engine, options.labels ?? [], left);
  })();
  const failure = work.then(
    () => undefined,
    (err: unknown) => errorText(err),
  );
  const outcome = await raceDeadline(failure, deadlineMs);
  const why = outcome === "deadline" ? `no answer within ${deadlineMs / 1000}s` : await failure;
  if (why === undefined) return true;
  options.reporter.error(undefined, `abandoned claims not released in ${store.name}: ${why}`);
  return false;
}

/** A list that cannot be written is reported: the next watcher finds the start claimed or over. */
export async function forgetAbandonedStart(ctx: AbandonedList, start: AbandonedStart): Promise<void> {
  if (ctx.engine === undefined) return;
  await forgetAbandoned(ctx.store, ctx.engine, ctx.labels ?? [], start).catch((err: unknown) =>
    ctx.reporter.error(undefined, `abandoned start not taken off the list: ${errorText(err)}`),
  );
}
