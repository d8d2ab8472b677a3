import { readdirSync, readFileSync } from "node:fs";
import {
  type AgentMode,
  type AgentServer,
  type AgentServerOptions,
  startAgentServer,
} from "../../src/agent/server.ts";
import { docker, runContainer, uniqueName } from "../docker/support.ts";

export interface ExecReply {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

/** POST /v1/exec as the service does (contract §4). */
export async function postExec(
  agentUrl: string,
  body: unknown,
  options: { token?: string; signal?: AbortSignal } = {},
): Promise<ExecReply> {
  const res = await fetch(`${agentUrl}/v1/exec`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(options.token !== undefined && { authorization: `Bearer ${options.token}` }),
    },
    body: typeof body === "string" ? body : JSON.stringify(body),
    ...(options.signal && { signal: options.signal }),
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

/** A running busybox container on the host network whose main process is not a sleep. */
export async function startContainer(host: string, prefix: string): Promise<{ id: string; name: string }> {
  const name = uniqueName(prefix);
  const id = await runContainer(host, name, {}, { command: ["tail", "-f", "/dev/null"] });
  return { id, name };
}

/** The agent on a free loopback port, its log kept in memory. */
export function startTestAgent(
  mode: AgentMode,
  env: Record<string, string>,
  extra: Partial<AgentServerOptions> = {},
): Promise<AgentServer> {
  return startAgentServer({ mode, port: 0, host: "127.0.0.1", env, log: memoryLog(), ...extra });
}

/** Commands (argv joined by spaces) of live processes on the host whose cgroup names `containerId`. */
export function hostProcessesOf(containerId: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/cgroup`, "utf8").includes(containerId)) continue;
      if (!isAlive(Number(name))) continue;
      found.push(readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").filter(Boolean).join(" "));
    } catch {
      // exited while we looked
    }
  }
  return found;
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Live (not zombie) commands listed by `docker top`: the container's processes as Docker sees them. */
export async function dockerTop(host: string, container: string): Promise<string[]> {
  const text = await docker(host, ["top", container, "-o", "pid,stat,args"]);
  return text
    .split("\n")
    .slice(1)
    .map((line) => /^\s*\d+\s+(\S+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && !(m[1] ?? "").includes("Z"))
    .map((m) => m[2] ?? "");
}

/** A logger that keeps the agent's JSON log lines for the test to read, off the test's output. */
export function memoryLog(): {
  write(record: Record<string, unknown>): void;
  records: Record<string, unknown>[];
} {
  const records: Record<string, unknown>[] = [];
  return { write: (record) => records.push(record), records };
}
