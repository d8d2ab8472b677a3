import type { Config } from "../config.ts";
import type { InFlight } from "../platform/in-flight.ts";
import type { Metrics } from "../platform/metrics.ts";
import type { HttpClient, Logger } from "../platform/ports.ts";
import type { NamedPorts } from "../schema/lifecycle.ts";

/**
 * Who wrote the hook: `labels` (a container label or a task definition: whoever deploys a
 * container) or `operator` (hookd's settings, or a caller of /v1/hooks/run holding the token).
 * Labels may aim only at their own container unless the settings allow more (contract §1).
 */
export type SpecSource = "labels" | "operator";

/** What a hook runs against: a container as the runtime adapter sees it. */
export interface HookTarget {
  specFrom: SpecSource;
  id?: string | undefined;
  name?: string | undefined;
  ip?: string | undefined;
  ports?: NamedPorts | undefined;
  /** The agent's base URL for exec handlers (written by `specFrom`); `{ip}` is replaced by the container's IP. */
  agentUrl?: string | undefined;
}

export interface EngineDeps {
  http: HttpClient;
  log: Logger;
  config: Pick<
    Config,
    "agentToken" | "agentUrl" | "defaultTimeoutSeconds" | "denyCidrs" | "allowHosts" | "agentHosts"
  >;
  now?: () => number;
  /** Counts every hook run (none where absent). */
  metrics?: Metrics | undefined;
  /** Hook runs in progress, for a shutdown that abandons some to name them. */
  inFlight?: InFlight | undefined;
}

/** What one handler kind reports; the dispatcher turns it into a HookResult. */
export interface HandlerOutcome {
  ok: boolean;
  message: string;
  statusCode?: number;
  exitCode?: number;
  output?: string;
  warnings?: string[];
  /** The handler saw the deadline itself (the agent killed the process). */
  timedOut?: boolean;
}

export interface HandlerContext {
  target: HookTarget;
  deps: EngineDeps;
  /** Aborted at the hook's deadline: whatever the handler started stops. */
  signal: AbortSignal;
  /** Epoch ms at which the hook's deadline falls. */
  deadline: number;
  /** Filled in as the handler learns what it runs, for the timeout message. */
  describe: { what: string };
}

/** A failure with a message fit for the result; anything else thrown is wrapped by the dispatcher. */
export class HookError extends Error {
  override name = "HookError";
}

/** At most this much of a body or of stdout+stderr is kept (contract §2). */
export const OUTPUT_LIMIT_BYTES = 10 * 1024;
