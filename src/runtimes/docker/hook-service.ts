import { request } from "undici";
import type { z } from "zod";
import { createApp } from "../../http/app.ts";
import { DockerEventAnswerSchema, type DockerEventSchema } from "../../http/routes/docker.ts";
import { createNodeDeps } from "../../platform/node/deps.ts";
import type { Logger } from "../../platform/ports.ts";
import { errorText } from "../../schema/labels.ts";
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

/** A `hookd serve` elsewhere, with HOOKD_TOKEN. A hook may run for as long as its deadline: no client timeout. */
export function remoteHookService(baseUrl: string, token: string | undefined): HookService {
  const url = `${baseUrl.replace(/\/+$/, "")}${ROUTE}`;
  return {
    where: baseUrl,
    async send(event) {
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(url, {
          method: "POST",
          headers: { "content-type": "application/json", ...(token && { authorization: `Bearer ${token}` }) },
          body: JSON.stringify(event),
          headersTimeout: 0,
          bodyTimeout: 0,
        });
      } catch (err) {
        throw new Error(`service ${baseUrl} unreachable: ${errorText(err)}`);
      }
      return answerFrom(res.statusCode, await res.body.text(), baseUrl);
    },
    close: async () => {},
  };
}

function answerFrom(status: number, text: string, where: string): DockerEventAnswer {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(
      `service ${where} answered ${status} with a body that is not JSON: ${text.slice(0, 200)}`,
    );
  }
  if (status !== 200) {
    const error = (body as { error?: { message?: unknown } }).error;
    const message = typeof error?.message === "string" ? error.message : text.slice(0, 200);
    throw new Error(`service ${where} answered ${status}: ${message}`);
  }
  const answer = DockerEventAnswerSchema.safeParse(body);
  if (!answer.success) throw new Error(`service ${where} sent an answer that is not {result, action}`);
  return answer.data;
}
