import type { Store } from "../../store/port.ts";

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
export function rememberAbandoned(
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
export async function readAbandoned(
  store: Store,
  engine: string,
  labels: readonly string[],
): Promise<AbandonedStart[]> {
  return parse(await store.getState(keyOf(engine, labels)));
}

/** Takes `start` off the list: its claim is won, or it has nothing left to run. */
export function forgetAbandoned(
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
