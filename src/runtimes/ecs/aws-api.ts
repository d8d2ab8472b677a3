import type { ECSClient, ECSClientConfig } from "@aws-sdk/client-ecs";
import type { Env } from "../../config.ts";
import { type EcsApi, type EcsApiFor, EcsCallError, type EcsTaskView } from "./api.ts";

export interface AwsEcsOptions {
  /** The default region, for calls whose ARNs do not name one. */
  region?: string | undefined;
  endpoint?: string | undefined;
  /** Explicit keys; undefined: the SDK's default provider chain (Node, Lambda). */
  credentials?:
    | { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined }
    | undefined;
  /** Why the keys are needed where there is no default chain (Workers), said on the first call. */
  credentialsRequired?: string | undefined;
  /** One attempt gives up after this (HOOKD_ECS_TIMEOUT_SECONDS): connecting, and waiting for the answer. */
  attemptTimeoutMs?: number | undefined;
}

/** Attempts per call (the SDK's default, said here because the call's budget is counted from it). */
export const ECS_MAX_ATTEMPTS = 3;

/**
 * All attempts of one call together, their pauses included: the SDK's pauses between attempts
 * stay well under a second, so 2 s of slack keeps an ECS route's answer within
 * 3 × HOOKD_ECS_TIMEOUT_SECONDS + 5 s (contract §8).
 */
export function ecsCallBudgetMs(attemptTimeoutMs: number): number {
  return ECS_MAX_ATTEMPTS * attemptTimeoutMs + 2_000;
}

export const DEFAULT_ECS_ATTEMPT_TIMEOUT_MS = 10_000;

function text(env: Env, name: string): string | undefined {
  const v = env[name];
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}

/**
 * Client settings from the environment (process.env on Node and Lambda, the bindings on Workers,
 * which have no process.env: so the endpoint and keys are read here and passed explicitly).
 */
export function awsEcsOptionsFromEnv(
  env: Env,
  runtime: "node" | "workers",
  attemptTimeoutSeconds?: number,
): AwsEcsOptions {
  const accessKeyId = text(env, "AWS_ACCESS_KEY_ID");
  const secretAccessKey = text(env, "AWS_SECRET_ACCESS_KEY");
  const credentials =
    accessKeyId && secretAccessKey
      ? { accessKeyId, secretAccessKey, sessionToken: text(env, "AWS_SESSION_TOKEN") }
      : undefined;
  return {
    region: text(env, "AWS_REGION") ?? text(env, "AWS_DEFAULT_REGION"),
    endpoint: text(env, "AWS_ENDPOINT_URL_ECS") ?? text(env, "AWS_ENDPOINT_URL"),
    credentials,
    ...(attemptTimeoutSeconds !== undefined && { attemptTimeoutMs: attemptTimeoutSeconds * 1000 }),
    ...(runtime === "workers" &&
      !credentials && {
        credentialsRequired:
          "AWS credentials are not set: the Worker has no default credential chain; run wrangler secret put AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
      }),
  };
}

/** One SDK client per region, made on first use. */
export function createAwsEcsApiFor(options: AwsEcsOptions): EcsApiFor {
  const apis = new Map<string, EcsApi>();
  return (region) => {
    const key = region ?? options.region ?? "";
    let api = apis.get(key);
    if (!api) {
      api = awsEcsApi(options, region ?? options.region);
      apis.set(key, api);
    }
    return api;
  };
}

type EcsSdk = typeof import("@aws-sdk/client-ecs");
let sdkLoading: Promise<EcsSdk> | undefined;

/**
 * The SDK is loaded on the first ECS call, not at start: a service that never sees an ECS event
 * (Docker, plain hooks) saves its start-up time and about 27 MiB of memory.
 */
function loadSdk(): Promise<EcsSdk> {
  sdkLoading ??= import("@aws-sdk/client-ecs");
  return sdkLoading;
}

function awsEcsApi(options: AwsEcsOptions, region: string | undefined): EcsApi {
  let client: ECSClient | undefined;
  const attemptMs = options.attemptTimeoutMs ?? DEFAULT_ECS_ATTEMPT_TIMEOUT_MS;
  const clientFor = (sdk: EcsSdk, operation: string, subject: string): ECSClient => {
    if (options.credentialsRequired) {
      throw new EcsCallError(
        operation,
        subject,
        "CredentialsMissing",
        options.credentialsRequired,
        undefined,
      );
    }
    if (!region) {
      throw new EcsCallError(operation, subject, "RegionMissing", "no region: set AWS_REGION", undefined);
    }
    if (!client) {
      // Node's handler takes both; on Workers the fetch handler takes requestTimeout, and the
      // call's abortSignal below bounds the rest.
      const config: ECSClientConfig = {
        region,
        maxAttempts: ECS_MAX_ATTEMPTS,
        // Without throwOnRequestTimeout, Node's handler only warns when requestTimeout passes.
        requestHandler: {
          connectionTimeout: attemptMs,
          requestTimeout: attemptMs,
          throwOnRequestTimeout: true,
        },
      };
      if (options.endpoint) config.endpoint = options.endpoint;
      const keys = options.credentials;
      if (keys) {
        config.credentials = {
          accessKeyId: keys.accessKeyId,
          secretAccessKey: keys.secretAccessKey,
          ...(keys.sessionToken !== undefined && { sessionToken: keys.sessionToken }),
        };
      }
      client = new sdk.ECSClient(config);
    }
    return client;
  };
  const call = async <T>(
    operation: string,
    subject: string,
    signal: AbortSignal | undefined,
    send: (c: ECSClient, sdk: EcsSdk, abortSignal: AbortSignal) => Promise<T>,
  ) => {
    const sdk = await loadSdk();
    const c = clientFor(sdk, operation, subject);
    const budgetMs = ecsCallBudgetMs(attemptMs);
    const budget = AbortSignal.timeout(budgetMs);
    const abortSignal = signal ? AbortSignal.any([budget, signal]) : budget;
    try {
      return await send(c, sdk, abortSignal);
    } catch (err) {
      if (abortSignal.aborted) {
        const why = budget.aborted
          ? `no answer within ${budgetMs / 1000}s (${ECS_MAX_ATTEMPTS} attempts of HOOKD_ECS_TIMEOUT_SECONDS=${attemptMs / 1000})`
          : "the work's deadline passed first";
        throw new EcsCallError(operation, subject, "TimeoutError", why, undefined, true);
      }
      throw asCallError(operation, subject, err, attemptMs);
    }
  };
  return {
    async describeTaskDefinition(arn, signal) {
      const out = await call("DescribeTaskDefinition", arn, signal, (c, sdk, abortSignal) =>
        c.send(new sdk.DescribeTaskDefinitionCommand({ taskDefinition: arn }), { abortSignal }),
      );
      const def = out.taskDefinition;
      return {
        arn: def?.taskDefinitionArn ?? arn,
        containers: (def?.containerDefinitions ?? []).map((d) => ({
          name: d.name ?? "",
          dockerLabels: d.dockerLabels ?? {},
          portMappings: (d.portMappings ?? []).map((p) => ({ name: p.name, containerPort: p.containerPort })),
          stopTimeout: d.stopTimeout,
        })),
      };
    },
    async describeTask(cluster, task, signal) {
      const out = await call("DescribeTasks", `${task} in ${cluster}`, signal, (c, sdk, abortSignal) =>
        c.send(new sdk.DescribeTasksCommand({ cluster, tasks: [task] }), { abortSignal }),
      );
      const t = out.tasks?.[0];
      if (!t?.taskArn) return undefined;
      const view: EcsTaskView = {
        taskArn: t.taskArn,
        clusterArn: t.clusterArn ?? cluster,
        taskDefinitionArn: t.taskDefinitionArn ?? "",
        lastStatus: t.lastStatus ?? "",
        desiredStatus: t.desiredStatus ?? "",
        containers: (t.containers ?? []).map((ct) => ({
          name: ct.name ?? "",
          lastStatus: ct.lastStatus,
          runtimeId: ct.runtimeId,
          networkInterfaces: ct.networkInterfaces?.map((n) => ({ privateIpv4Address: n.privateIpv4Address })),
        })),
        attachments: (t.attachments ?? []).map((a) => ({
          type: a.type,
          details: a.details?.map((d) => ({ name: d.name, value: d.value })),
        })),
        stopCode: t.stopCode,
      };
      return view;
    },
    async stopTask(cluster, task, reason, signal) {
      await call("StopTask", `${task} in ${cluster}`, signal, (c, sdk, abortSignal) =>
        c.send(new sdk.StopTaskCommand({ cluster, task, reason }), { abortSignal }),
      );
    },
  };
}

function asCallError(operation: string, subject: string, err: unknown, attemptMs: number): EcsCallError {
  if (err instanceof EcsCallError) return err;
  const e = err as { name?: unknown; message?: unknown; $metadata?: { attempts?: unknown } } | undefined;
  const code = typeof e?.name === "string" ? e.name : "Error";
  const message = typeof e?.message === "string" && e.message !== "" ? e.message : String(err);
  const attempts = typeof e?.$metadata?.attempts === "number" ? e.$metadata.attempts : undefined;
  // The handler's per-attempt timeout, on the last attempt.
  const timedOut = code === "TimeoutError" || code === "RequestTimeout" || code === "RequestTimeoutException";
  const said = timedOut
    ? `no answer within ${attemptMs / 1000}s (HOOKD_ECS_TIMEOUT_SECONDS) to each attempt`
    : message;
  return new EcsCallError(operation, subject, code, said, attempts, timedOut);
}
