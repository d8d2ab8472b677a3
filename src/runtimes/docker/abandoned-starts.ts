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

/** Adds `starts` to the list the next watcher reads. */
export async function rememberAbandoned(
  store: Store,
  engine: string,
  labels: readonly string[],
  starts: readonly AbandonedStart[],
): Promise<void> {
  const key = keyOf(engine, labels);
  const all = [...parse(await store.getState(key)), ...starts];
  const unique = all.filter(
    (s, i) => all.findIndex((o) => o.id === s.id && o.startedAt === s.startedAt) === i,
  );
  await store.putState(key, unique, KEEP_MS);
}

/** The starts left by the last watcher, taken off the list (this watcher runs them). */
export async function takeAbandoned(
  store: Store,
  engine: string,
  labels: readonly string[],
): Promise<AbandonedStart[]> {
  const key = keyOf(engine, labels);
  const starts = parse(await store.getState(key));
  if (starts.length > 0) await store.putState(key, [], KEEP_MS);
  return starts;
}
