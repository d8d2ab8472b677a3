/**
 * The work a process has started and not finished, so that a shutdown that gives up can say
 * what it abandoned (contract §8). Runtime-neutral: runHook registers every hook run here.
 */
export interface InFlight {
  /** Registers one piece of work, described for the log; the returned function ends it. */
  begin(what: Record<string, unknown>): () => void;
  /** What is still running, oldest first. */
  list(): Array<Record<string, unknown>>;
}

export function createInFlight(): InFlight {
  const running = new Set<Record<string, unknown>>();
  return {
    begin(what) {
      // A copy per run: two runs described alike are still two.
      const entry = { ...what };
      running.add(entry);
      return () => running.delete(entry);
    },
    list: () => [...running],
  };
}
