import type { Logger } from "../platform/ports.ts";
import { errorText } from "../schema/labels.ts";
import type { HookResult } from "../schema/result.ts";
import type { Run, RunSource } from "../schema/run.ts";
import { newRunId, type OutboxEntry, type Store } from "./port.ts";

/** A result as recorded: the Run, and the result to answer with (a warning added if it was not recorded). */
export interface Recorded {
  run: Run;
  result: HookResult;
  recorded: boolean;
}

/**
 * The one place that turns a hook's result into a log line, a Run in the store and (with
 * results delivery on) its outbox entry. Every route and adapter that runs a hook hands the
 * result here. It never throws for the store: a run the store could not take is logged whole,
 * and the result says so in `warnings`.
 */
export interface Recorder {
  record(result: HookResult, source: RunSource): Promise<Recorded>;
}

export interface RecorderDeps {
  store: Store;
  log: Logger;
  now?: (() => number) | undefined;
  /** The outbox entry of a run (results delivery), or undefined when delivery is off. */
  delivery?: ((run: Run) => OutboxEntry | undefined) | undefined;
}

export function createRecorder(deps: RecorderDeps): Recorder {
  const now = deps.now ?? Date.now;
  return {
    async record(result, source) {
      const at = now();
      const run: Run = { ...result, id: newRunId(at), time: new Date(at).toISOString(), source };
      let problem: string | undefined;
      try {
        await deps.store.recordRun(run, deps.delivery?.(run));
      } catch (err) {
        problem = `this run was not recorded: ${errorText(err)}`;
      }
      const answered = problem ? { ...result, warnings: [...result.warnings, problem] } : result;
      const logged = problem ? { ...run, warnings: answered.warnings } : run;
      deps.log.write({ level: result.outcome === "succeeded" ? "info" : "warn", msg: "hook", ...logged });
      if (problem)
        deps.log.write({
          level: "error",
          msg: "run not recorded",
          id: run.id,
          store: deps.store.name,
          error: problem,
        });
      return { run: logged, result: answered, recorded: problem === undefined };
    },
  };
}
