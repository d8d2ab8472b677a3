import { raceDeadline } from "../engine/deadline.ts";
import { isLoopbackName } from "../http/auth.ts";
import { createInFlight } from "../platform/in-flight.ts";
import { createDockerApi, DEFAULT_DOCKER_HOST } from "../platform/node/docker-api.ts";
import { listen } from "../platform/node/listen.ts";
import { createAgentMetrics } from "../platform/node/prom-metrics.ts";
import { createStdoutLogger } from "../platform/node/stdout-log.ts";
import type { Logger } from "../platform/ports.ts";
import { createAgentApp } from "./app.ts";
import { createDockerExecutor } from "./docker-executor.ts";
import { createLocalExecutor } from "./local-executor.ts";
import { DEFAULT_AGENT_PORT, DEFAULT_MAX_CONCURRENT, type Executor } from "./protocol.ts";

export type AgentMode = "docker" | "local";

export interface AgentServerOptions {
  mode: AgentMode;
  port: number;
  host: string;
  /** HOOKD_AGENT_TOKEN and DOCKER_HOST are read from here (default: process.env). */
  env?: NodeJS.ProcessEnv;
  maxConcurrent?: number;
  /** Where the JSON log lines go (default: stdout). */
  log?: Logger & { flush?(): void };
}

export interface AgentServer {
  url: string;
  mode: AgentMode;
  /** Stops accepting, lets running execs finish (each is bounded by its deadline), then returns. */
  close(): Promise<void>;
  /**
   * Stops accepting and waits at most `ms` for the execs running; then logs each one left,
   * cuts its connection (which kills it) and says which they were.
   */
  shutdown(ms: number): Promise<{ abandoned: Array<Record<string, unknown>> }>;
}

export { DEFAULT_AGENT_PORT, DEFAULT_MAX_CONCURRENT };

export async function startAgentServer(options: AgentServerOptions): Promise<AgentServer> {
  const env = options.env ?? process.env;
  const token = env.HOOKD_AGENT_TOKEN?.trim() || undefined;
  if (token === undefined && !isLoopbackName(options.host)) {
    throw new Error(
      `HOOKD_AGENT_TOKEN is not set: refusing to listen on ${options.host}, where anyone who reaches it could run commands; set HOOKD_AGENT_TOKEN or use a loopback --host`,
    );
  }
  const log = options.log ?? createStdoutLogger();
  const inFlight = createInFlight();
  const executor: Executor =
    options.mode === "docker"
      ? createDockerExecutor({ api: createDockerApi(env.DOCKER_HOST || DEFAULT_DOCKER_HOST), log })
      : createLocalExecutor();
  const agent = createAgentApp({
    executor,
    token,
    maxConcurrent: options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT,
    log,
    metrics: createAgentMetrics(),
    inFlight,
  });
  const server = await listen(agent.fetch, options).catch(async (err: unknown) => {
    await executor.close();
    throw err;
  });
  return {
    url: server.url,
    mode: options.mode,
    async close() {
      await server.close();
      log.flush?.();
      await executor.close();
    },
    async shutdown(ms) {
      if ((await raceDeadline(server.close(), ms)) === "done") {
        log.flush?.();
        await executor.close();
        return { abandoned: [] };
      }
      const abandoned = inFlight.list();
      for (const exec of abandoned) {
        log.write({
          level: "error",
          msg: `exec abandoned at shutdown: still running after HOOKD_SHUTDOWN_SECONDS (${ms / 1000}s); killed`,
          ...exec,
        });
      }
      // The caller's connection goes, and with it the exec (the agent kills what its caller left).
      server.abort();
      log.flush?.();
      await raceDeadline(executor.close(), 2_000);
      return { abandoned };
    },
  };
}
