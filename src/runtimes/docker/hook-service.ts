import { request } from "undici";
import type { z } from "zod";
import { actionAfter } from "../../engine/policy.ts";
import { FAILURE_REASON } from "../../engine/run-hook.ts";
import { createApp } from "../../http/app.ts";
import { DockerEventAnswerSchema, type DockerEventSchema } from "../../http/routes/docker.ts";
import { createNodeDeps } from "../../platform/node/deps.ts";
import type { Logger } from "../../platform/ports.ts";
import { errorText, lifecycleFromLabels } from "../../schema/labels.ts";
import { handlerAction } from "../../schema/lifecycle.ts";
import type { HookResult } from "../../schema/result.ts";
import type { Store } from "../../store/port.ts";
import { createRecorder } from "../../store/recorder.ts";

export type DockerEventBody = z.infer<typeof DockerEventSchema>;
export type DockerEventAnswer = z.infer<typeof DockerEventAnswerSchema>;

/** Where the adapter sends its container events: `POST /v1/events/docker`, in this process or remote. */
export interface HookService {
  /** `in-process` or the service's URL, for messages. */
  readonly where: string;
  send(event: DockerEventBody): Promise<DockerEventAnswer>;
  close(): Promise<void>;
}

const ROUTE = "/v1/events/docker";

/**
 * The same Hono app that `hookd serve` runs, called without a socket. Its own JSON log line per
 * hook is dropped: the adapter reports every hook run itself.
 */
export function inProcessHookService(env: NodeJS.ProcessEnv = process.env, store?: Store): HookService {
  const deps = createNodeDeps(env, store ? { store } : {});
  const quiet: Logger = { write() {} };
  const app = createApp({
    ...deps,
    engine: { ...deps.engine, log: quiet },
    recorder: createRecorder({ store: deps.store, log: quiet, delivery: deps.delivery?.entryFor }),
  });
  const token = deps.config.tokens[0];
  return {
    where: "in-process",
    async send(event) {
      const res = await app.request(ROUTE, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
        body: JSON.stringify(event),
      });
      return answerFrom(res.status, await res.text(), "in-process");
    },
    close: () => deps.close(),
  };
}

/**
 * Beyond the hook's own deadline, how long the service may take to answer: recording the run,
 * the network. The whole call, retries and answer included, ends by then.
 */
export const SERVICE_MARGIN_SECONDS = 5;

/**
 * A `hookd serve` elsewhere, with HOOKD_TOKEN. Every call has a deadline: the hook's own (its
 * timeoutSeconds, else HOOKD_DEFAULT_TIMEOUT_SECONDS; a preStop within its grace period) plus
 * SERVICE_MARGIN_SECONDS. A service that cannot be reached (nothing listening, a name not
 * resolving yet: the request never left) is tried again until the hook's own deadline (contract
 * §7). The hook then counts as failed, as it does when the service gives no answer by the
 * deadline or cuts the connection: a `failed` result naming the service and the deadline. A
 * request that did leave is never sent again: the service may be running the hook.
 */
export function remoteHookService(
  baseUrl: string,
  token: string | undefined,
  defaultTimeoutSeconds = 30,
): HookService {
  const url = `${baseUrl.replace(/\/+$/, "")}${ROUTE}`;
  const post = (event: DockerEventBody, signal: AbortSignal) =>
    request(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(event),
      // The signal bounds the connection, the answer's head and its body alike; undici's own
      // 300 s head and body timers are off, or they would cut a longer hook short.
      signal,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  return {
    where: baseUrl,
    async send(event) {
      const budget = hookBudget(event, defaultTimeoutSeconds);
      // Valid labels without this phase's hook: the service's answer is known, no call needed.
      if (budget.none) return { result: null, action: "none" };
      const started = Date.now();
      const retryUntil = started + budget.seconds * 1000;
      const giveUpAt = started + budget.callSeconds * 1000;
      const deadline =
        budget.callSeconds < budget.seconds + SERVICE_MARGIN_SECONDS
          ? `${budget.callSeconds}s (the grace period)`
          : `${budget.callSeconds}s (the hook's deadline ${budget.seconds}s + ${SERVICE_MARGIN_SECONDS}s)`;
      const failed = (message: string) => failedAnswer(event, budget.kind, started, message);
      for (let wait = 250; ; wait = Math.min(wait * 2, 2_000)) {
        const signal = AbortSignal.timeout(Math.max(1, giveUpAt - Date.now()));
        try {
          const res = await post(event, signal);
          return answerFrom(res.statusCode, await res.body.text(), baseUrl);
        } catch (err) {
          if (err instanceof ServiceAnswerError) throw err;
          if (signal.aborted) return failed(`service ${baseUrl} gave no answer within ${deadline}`);
          if (!neverSent(err)) {
            return failed(`service ${baseUrl} failed before answering: ${errorText(err)}`);
          }
          if (Date.now() >= retryUntil) {
            return failed(
              `service ${baseUrl} unreachable, tried for ${budget.seconds}s (the hook's deadline): ${errorText(err)}`,
            );
          }
          // The last attempt is at the hook's deadline itself.
          await new Promise((r) => setTimeout(r, Math.min(wait, retryUntil - Date.now())));
        }
      }
    },
    close: async () => {},
  };
}

/**
 * The hook's own deadline, as the service will count it (the handler's timeoutSeconds, else the
 * default; a preStop within its grace period); the call's, that plus SERVICE_MARGIN_SECONDS but
 * never past the grace period (the hook and the stop share it, contract §1); and the handler's
 * kind: none when the labels hold no such handler (the service answers that nothing ran) or are
 * invalid (it answers 400).
 */
function hookBudget(
  event: DockerEventBody,
  defaultTimeoutSeconds: number,
): { seconds: number; callSeconds: number; kind: HookResult["handler"] | undefined; none: boolean } {
  const lifecycle = lifecycleFromLabels(event.container.labels);
  const handler = lifecycle?.ok ? lifecycle.value[event.phase] : undefined;
  const none = lifecycle?.ok === true && handler === undefined;
  const timeout = handler?.timeoutSeconds ?? defaultTimeoutSeconds;
  const seconds =
    event.gracePeriodSeconds === undefined ? timeout : Math.min(timeout, event.gracePeriodSeconds);
  const grace = event.gracePeriodSeconds;
  const callSeconds = Math.min(seconds + SERVICE_MARGIN_SECONDS, grace ?? Number.POSITIVE_INFINITY);
  return { seconds, callSeconds, kind: handler && handlerAction(handler).kind, none };
}

/** The hook counted as failed without the service's answer, and what follows (a postStart: kill). */
function failedAnswer(
  event: DockerEventBody,
  kind: HookResult["handler"] | undefined,
  started: number,
  message: string,
): DockerEventAnswer {
  // No hook to count as failed (the labels have none for this phase, or are invalid): an error.
  if (kind === undefined) throw new Error(message);
  const result: HookResult = {
    phase: event.phase,
    handler: kind,
    container: event.container.name,
    outcome: "failed",
    reason: FAILURE_REASON[event.phase],
    message,
    warnings: [],
    startedAt: new Date(started).toISOString(),
    durationMs: Date.now() - started,
  };
  return { result, action: actionAfter(result) };
}

const NOT_SENT = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "UND_ERR_CONNECT_TIMEOUT",
  "EHOSTUNREACH",
]);

/** Whether the request failed before reaching the service (so sending it again cannot run a hook twice). */
function neverSent(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as Error & { code?: unknown }).code;
    if (typeof code === "string" && NOT_SENT.has(code)) return true;
  }
  return false;
}

/** The service answered, but not with a result: not retried. */
class ServiceAnswerError extends Error {
  override name = "ServiceAnswerError";
}

function answerFrom(status: number, text: string, where: string): DockerEventAnswer {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ServiceAnswerError(
      `service ${where} answered ${status} with a body that is not JSON: ${text.slice(0, 200)}`,
    );
  }
  if (status !== 200) {
    const error = (body as { error?: { message?: unknown } }).error;
    const message = typeof error?.message === "string" ? error.message : text.slice(0, 200);
    throw new ServiceAnswerError(`service ${where} answered ${status}: ${message}`);
  }
  const answer = DockerEventAnswerSchema.safeParse(body);
  if (!answer.success)
    throw new ServiceAnswerError(`service ${where} sent an answer that is not {result, action}`);
  return answer.data;
}
