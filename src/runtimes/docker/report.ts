import type { Action } from "../../engine/policy.ts";
import type { HookResult } from "../../schema/result.ts";

export interface ContainerRef {
  id: string;
  name: string;
}

/** What the adapter did, as a person or a program reads it: one line per hook run or action. */
export interface Reporter {
  hook(container: ContainerRef, result: HookResult, action: Action): void;
  /** An action on a container: `stop`, `restart`, `backoff`, `skip`… */
  action(container: ContainerRef, event: string, message: string): void;
  /** Something went wrong that is not a hook's outcome (engine, service, label). */
  error(container: ContainerRef | undefined, message: string): void;
  /** The adapter's own state (connected, reconnecting), on stderr. */
  status(message: string): void;
}

export interface ReporterStreams {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  json: boolean;
  now?: () => Date;
}

/** Readable lines (time, container, phase, handler, outcome, duration, message), or JSON lines. */
export function createReporter({ out, err, json, now = () => new Date() }: ReporterStreams): Reporter {
  const time = () => now().toISOString();
  const line = (stream: NodeJS.WritableStream, record: Record<string, unknown>, text: string) =>
    stream.write(json ? `${JSON.stringify({ time: time(), ...record })}\n` : `${time()}  ${text}\n`);
  return {
    hook(c, r, action) {
      const then = action === "kill" ? "  → kill" : "";
      const text = `${c.name}  ${r.phase}  ${r.handler}  ${r.outcome}  ${r.durationMs}ms  ${r.message}${then}`;
      line(out, { event: "hook", containerId: c.id, ...r, action }, text);
      // In JSON the warnings are the record's; as text, a line each (a bad label that was ignored).
      if (!json) for (const w of r.warnings) err.write(`${time()}  ${c.name}  warning  ${w}\n`);
    },
    action(c, event, message) {
      line(out, { event, container: c.name, containerId: c.id, message }, `${c.name}  ${event}  ${message}`);
    },
    error(c, message) {
      const record = { event: "error", ...(c && { container: c.name, containerId: c.id }), message };
      line(err, record, `${c ? `${c.name}  ` : ""}error  ${message}`);
    },
    status(message) {
      line(err, { event: "status", message }, message);
    },
  };
}
