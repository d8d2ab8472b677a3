/**
 * Gathers the writes that arrive together — in the same turn of the event loop, up to `maxSize`
 * — and commits them as one batch (one transaction), instead of one commit each: a burst of
 * hooks then blocks the event loop once, not once per hook. Each caller's promise settles when
 * its batch has committed, or rejects with the batch's error: every write of a failed batch
 * fails, none is lost silently.
 */
export interface WriteBatch<T> {
  add(item: T): Promise<void>;
  /** Commits what waits now (before closing the database). */
  flush(): void;
}

interface Waiting<T> {
  item: T;
  resolve(): void;
  reject(err: unknown): void;
}

export function createWriteBatch<T>(commit: (items: T[]) => void, maxSize: number): WriteBatch<T> {
  let waiting: Array<Waiting<T>> = [];
  let scheduled: ReturnType<typeof setImmediate> | undefined;

  const flush = () => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    const batch = waiting;
    waiting = [];
    if (batch.length === 0) return;
    try {
      commit(batch.map((w) => w.item));
    } catch (err) {
      for (const w of batch) w.reject(err);
      return;
    }
    for (const w of batch) w.resolve();
  };

  return {
    add(item) {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ item, resolve, reject });
        // setImmediate runs after the I/O callbacks of this turn: the requests that finished
        // together are in one batch.
        if (waiting.length >= maxSize) flush();
        else scheduled ??= setImmediate(flush);
      });
    },
    flush,
  };
}
