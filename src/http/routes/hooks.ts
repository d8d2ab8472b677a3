import { z } from "zod";
import { runHook } from "../../engine/run-hook.ts";
import type { EngineDeps } from "../../engine/types.ts";
import { LifecycleHandlerSchema, NamedPortsSchema, PhaseSchema } from "../../schema/lifecycle.ts";
import { type HookResult, HookResultSchema } from "../../schema/result.ts";
import type { Recorder } from "../../store/recorder.ts";
import { readJson } from "../body.ts";
import type { RouteModule } from "../deps.ts";

export const ContainerRefSchema = z.strictObject({
  id: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  ip: z.string().min(1).optional(),
  ports: NamedPortsSchema.optional(),
});

export const RunHookRequestSchema = z.strictObject({
  phase: PhaseSchema,
  handler: LifecycleHandlerSchema,
  container: ContainerRefSchema,
  agentUrl: z
    .string()
    .regex(/^https?:\/\/\S+$/, "expected an http(s) URL; {ip} stands for the container's IP")
    .optional(),
  timeoutSeconds: z.number().int().min(1).max(86_400).optional(),
});

export type RunHookRequest = z.infer<typeof RunHookRequestSchema>;

export const HOOK_RUN_PATH = "/v1/hooks/run";

/**
 * The route's work once the request is read and valid: the hook runs whether or not the store
 * can record it (a trusted caller asked for it), and the result says when it was not recorded.
 */
export async function runHookRequest(
  req: RunHookRequest,
  engine: EngineDeps,
  recorder: Recorder,
): Promise<HookResult> {
  // The caller holds HOOKD_TOKEN: it may aim the hook anywhere the deny list leaves open.
  const target = { specFrom: "operator", ...req.container, agentUrl: req.agentUrl } as const;
  const result = await runHook(req.phase, req.handler, target, engine, {
    timeoutSeconds: req.timeoutSeconds,
  });
  return (await recorder.record(result, { runtime: "api" })).result;
}

export const hookRoutes: RouteModule = {
  docs: [
    {
      method: "post",
      path: HOOK_RUN_PATH,
      summary: "Run one lifecycle handler against a container and return its result",
      body: RunHookRequestSchema,
      responses: { "200": { description: "the result (whatever the outcome)", schema: HookResultSchema } },
    },
  ],
  register(app, deps) {
    app.post(HOOK_RUN_PATH, async (c) =>
      c.json(await runHookRequest(await readJson(c, RunHookRequestSchema), deps.engine, deps.recorder)),
    );
  },
};
