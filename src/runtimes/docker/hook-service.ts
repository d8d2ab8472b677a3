import { request } from "undici";
import type { z } from "zod";
import { createApp } from "../../http/app.ts";
import { DockerEventAnswerSchema, type DockerEventSchema } from "../../http/routes/docker.ts";
import { createNodeDeps } from "../../platform/node/deps.ts";
import type { Logger } from "../../platform/ports.ts";
import { errorText, lifecycleFromLabels } from "../../schema/labels.ts";
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
 * A `hookd serve` elsewhere, with HOOKD_TOKEN. A hook may run for as long as its deadline: no
 * client timeout. A service that cannot be reached (nothing listening, a name not resolving yet:
 * the request never left) is tried again until the hook's own deadline (contract §7), then the
 * hook counts as not run.
 */
export function remoteHookService(
  baseUrl: string,
  token: string | undefined,
  defaultTimeoutSeconds = 30,
): HookService {
  const url = `${baseUrl.replace(/\/+$/, "")}${ROUTE}`;
  const post = (event: DockerEventBody) =>
    request(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
      body: JSON.stringify(event),
      headersTimeout: 0,
      bodyTimeout: 0,
    });
  return {
    where: baseUrl,
    async send(event) {
      const giveUpAt = Date.now() + hookBudgetMs(event, defaultTimeoutSeconds);
      for (let wait = 250; ; wait = Math.min(wait * 2, 2_000)) {
        try {
          const res = await post(event);
          return answerFrom(res.statusCode, await res.body.text(), baseUrl);
        } catch (err) {
          if (!neverSent(err) || Date.now() + wait > giveUpAt) {
            if (err instanceof ServiceAnswerError) throw err;
            throw new Error(`service ${baseUrl} unreachable: ${errorText(err)}`);
          }
          await new Promise((r) => setTimeout(r, wait));
        }
      }
    },
    close: async () => {},
  };
}

/** The hook's own deadline, as the service will count it: the handler's timeoutSeconds, else the default. */
function hookBudgetMs(event: DockerEventBody, defaultTimeoutSeconds: number): number {
  const lifecycle = lifecycleFromLabels(event.container.labels);
  const handler = lifecycle?.ok ? lifecycle.value[event.phase] : undefined;
  const seconds = handler?.timeoutSeconds ?? event.gracePeriodSeconds ?? defaultTimeoutSeconds;
  return seconds * 1000;
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
