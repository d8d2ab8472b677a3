import { z } from "zod";
import { errorText } from "../schema/labels.ts";
import type { ExecAction } from "../schema/lifecycle.ts";
import { capUtf8 } from "./output.ts";
import { checkReach } from "./trust.ts";
import { type HandlerContext, type HandlerOutcome, HookError, OUTPUT_LIMIT_BYTES } from "./types.ts";

/** The agent's answer (contract §4). */
const AgentAnswerSchema = z.object({
  exitCode: z.number().int().nullable().optional(),
  output: z.string().optional(),
  truncated: z.boolean().optional(),
  timedOut: z.boolean().optional(),
  durationMs: z.number().optional(),
});

/** `{ip}` in the agent URL template is the container's IP. */
export function agentBaseUrl(ctx: HandlerContext): string {
  const template = ctx.target.agentUrl ?? ctx.deps.config.agentUrl;
  if (!template) {
    throw new HookError("no agent URL: set HOOKD_AGENT_URL, the hookd.agent-url label or agentUrl");
  }
  if (template.includes("{ip}")) {
    const ip = ctx.target.ip;
    if (!ip) throw new HookError(`agent URL ${template} needs the container's IP, and it has none`);
    return template.replaceAll("{ip}", ip.includes(":") && !ip.startsWith("[") ? `[${ip}]` : ip);
  }
  return template;
}

export async function runExec(action: ExecAction, ctx: HandlerContext): Promise<HandlerOutcome> {
  const where = ctx.target.name ?? ctx.target.id ?? "the container";
  const what = `exec ${JSON.stringify(action.command)} in ${where}`;
  ctx.describe.what = what;
  const base = agentBaseUrl(ctx);
  const url = agentExecUrl(base, what);
  ctx.describe.what = `${what} (agent ${base})`;
  // HOOKD_AGENT_URL is the operator's; the target's own URL is held to what its source may reach.
  if (ctx.target.agentUrl !== undefined) {
    try {
      checkReach(url, "agent", ctx.target, ctx.deps.config);
    } catch (err) {
      throw new HookError(`${what}: agent ${base} ${errorText(err)}`);
    }
  }
  const headers: Array<[string, string]> = [["content-type", "application/json"]];
  if (ctx.deps.config.agentToken) headers.push(["authorization", `Bearer ${ctx.deps.config.agentToken}`]);
  const now = ctx.deps.now ?? Date.now;
  const body = JSON.stringify({
    containerId: ctx.target.id ?? ctx.target.name,
    command: action.command,
    timeoutMs: Math.max(1, ctx.deadline - now()),
    user: action.user,
    workingDir: action.workingDir,
    env: action.env,
  });
  let res: Awaited<ReturnType<typeof ctx.deps.http.request>>;
  try {
    res = await ctx.deps.http.request({
      method: "POST",
      url,
      headers,
      body,
      signal: ctx.signal,
      // JSON escapes a control byte as \u0000: 10 KiB of output may take six times as much.
      maxBodyBytes: 6 * OUTPUT_LIMIT_BYTES + 4096,
    });
  } catch (err) {
    throw new HookError(`${what}: agent ${base} unreachable: ${errorText(err)}`);
  }
  if (res.status < 200 || res.status > 299) {
    throw new HookError(`${what}: agent ${base} answered ${res.status}: ${agentErrorText(res.body)}`);
  }
  let answer: z.infer<typeof AgentAnswerSchema>;
  try {
    answer = AgentAnswerSchema.parse(JSON.parse(res.body));
  } catch {
    throw new HookError(`${what}: agent ${base} sent an answer that is not the exec protocol`);
  }
  const output = answer.output === undefined ? undefined : capUtf8(answer.output);
  const common = {
    ...(output !== undefined && { output }),
    ...(typeof answer.exitCode === "number" && { exitCode: answer.exitCode }),
  };
  if (answer.timedOut)
    return { ok: false, timedOut: true, message: `${what}: timed out, killed by the agent`, ...common };
  if (answer.exitCode === 0) return { ok: true, message: `${what}: exit code 0`, ...common };
  const code =
    typeof answer.exitCode === "number" ? `exit code ${answer.exitCode}` : "no exit code came back";
  return { ok: false, message: `${what}: ${code}`, ...common };
}

/** Parsed once: the host checked is the host the request goes to. */
function agentExecUrl(base: string, what: string): URL {
  try {
    return new URL(`${base.replace(/\/+$/, "")}/v1/exec`);
  } catch {
    throw new HookError(`${what}: agent URL ${JSON.stringify(base)} is not a valid URL`);
  }
}

function agentErrorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    if (typeof parsed.error?.message === "string") return parsed.error.message;
  } catch {
    // not JSON: show the text itself
  }
  return body.slice(0, 200) || "(empty body)";
}
