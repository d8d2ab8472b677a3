import { raceDeadline } from "../engine/deadline.ts";
import { createApp } from "../http/app.ts";
import { isLoopbackName } from "../http/auth.ts";
import { createNodeDeps, type NodeLogger } from "../platform/node/deps.ts";
import { type Listening, listen } from "../platform/node/listen.ts";

/** What a bounded shutdown left undone: the hook runs, and other background work (ECS lookups). */
export interface ShutdownOutcome {
  abandonedRuns: Array<Record<string, unknown>>;
  abandonedWork: number;
}

/** `tokenSet`: HOOKD_TOKEN holds at least one token (else /v1 is open, on loopback only). */
export type NodeServer = Listening & {
  tokenSet: boolean;
  /** HOOKD_SHUTDOWN_SECONDS, as read at start. */
  shutdownSeconds: number;
  /**
   * Stops accepting, waits at most `ms` for requests and background work in flight, then gives
   * up on what is left: each abandoned hook run is logged and each background work's claims
   * released. Nothing left: both lists are empty.
   */
  shutdown(ms: number): Promise<ShutdownOutcome>;
};

/** Starts the service on Node; `close` stops accepting, lets in-flight hooks finish, then returns. */
export async function startNodeServer(options: {
  port: number;
  host: string;
  env?: NodeJS.ProcessEnv;
  /** Default: JSON lines on stdout. */
  log?: NodeLogger;
}): Promise<NodeServer> {
  const deps = createNodeDeps(options.env ?? process.env, options.log ? { log: options.log } : {});
  if (deps.config.tokens.length === 0 && !isLoopbackName(options.host)) {
    throw new Error(
      `HOOKD_TOKEN is not set: refusing to serve /v1 on ${options.host}; set HOOKD_TOKEN or use a loopback --host`,
    );
  }
  const server = await listen(createApp(deps).fetch, { port: options.port, host: options.host });
  return {
    url: server.url,
    tokenSet: deps.config.tokens.length > 0,
    shutdownSeconds: deps.config.shutdownSeconds,
    async close() {
      await server.close();
      await deps.close();
    },
    abort: () => server.abort(),
    async shutdown(ms) {
      const finished = Promise.all([server.close(), deps.background.drain()]);
      if ((await raceDeadline(finished, ms)) === "done") {
        await deps.close();
        return { abandonedRuns: [], abandonedWork: 0 };
      }
      const abandonedRuns = deps.inFlight.list();
      for (const run of abandonedRuns) {
        deps.engine.log.write({
          level: "error",
          msg: `hook abandoned at shutdown: still running after HOOKD_SHUTDOWN_SECONDS (${ms / 1000}s)`,
          ...run,
        });
      }
      const abandonedWork = await deps.background.abandon();
      server.abort();
      deps.flushLog();
      return { abandonedRuns, abandonedWork };
    },
  };
}
