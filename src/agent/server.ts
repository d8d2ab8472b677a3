import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { isLoopback } from "../entry/node.ts";
import { createDockerApi, DEFAULT_DOCKER_HOST } from "../platform/node/docker-api.ts";
import { createStdoutLogger } from "../platform/node/stdout-log.ts";
import type { Logger } from "../platform/ports.ts";
import { createAgentApp } from "./app.ts";
import { createDockerExecutor } from "./docker-executor.ts";
import { createLocalExecutor } from "./local-executor.ts";
import type { Executor } from "./protocol.ts";

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
}

export const DEFAULT_AGENT_PORT = 9700;
export const DEFAULT_MAX_CONCURRENT = 64;

export class AgentConfigError extends Error {
  override name = "AgentConfigError";
}

export async function startAgentServer(options: AgentServerOptions): Promise<AgentServer> {
  const env = options.env ?? process.env;
  const token = env.HOOKD_AGENT_TOKEN?.trim() || undefined;
  if (token === undefined && !isLoopback(options.host)) {
    throw new AgentConfigError(
      `HOOKD_AGENT_TOKEN is not set: refusing to listen on ${options.host}, where anyone who reaches it could run commands; set HOOKD_AGENT_TOKEN or use a loopback --host`,
    );
  }
  const log = options.log ?? createStdoutLogger();
  const executor: Executor =
    options.mode === "docker"
      ? createDockerExecutor({ api: createDockerApi(env.DOCKER_HOST || DEFAULT_DOCKER_HOST), log })
      : createLocalExecutor();
  const agent = createAgentApp({
    executor,
    token,
    maxConcurrent: options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT,
    log,
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: agent.fetch, port: options.port, hostname: options.host }, () => resolve(s));
    s.once("error", reject);
  }).catch(async (err: unknown) => {
    await executor.close();
    throw err;
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    mode: options.mode,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // A keep-alive connection turns idle once its exec is answered: sweep until all are gone.
      const sweep = () => {
        if ("closeIdleConnections" in server) server.closeIdleConnections();
      };
      sweep();
      const sweeper = setInterval(sweep, 50);
      await closed;
      clearInterval(sweeper);
      log.flush?.();
      await executor.close();
    },
  };
}
