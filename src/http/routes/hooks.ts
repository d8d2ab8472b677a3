import { z } from "zod";
import { runHook } from "../../engine/run-hook.ts";
import { LifecycleHandlerSchema, NamedPortsSchema, PhaseSchema } from "../../spec/lifecycle.ts";
import { HookResultSchema } from "../../spec/result.ts";
import type { RouteModule } from "../app.ts";
import { readJson } from "../body.ts";

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

export const hookRoutes: RouteModule = {
  docs: [
    {
      method: "post",
      path: "/v1/hooks/run",
      summary: "Run one lifecycle handler against a container and return its result",
      body: RunHookRequestSchema,
      responses: { "200": { description: "the result (whatever the outcome)", schema: HookResultSchema } },
    },
  ],
  register(app, deps) {
    app.post("/v1/hooks/run", async (c) => {
      const req = await readJson(c, RunHookRequestSchema);
      const result = await runHook(
        req.phase,
        req.handler,
        { ...req.container, agentUrl: req.agentUrl },
        deps.engine,
        { timeoutSeconds: req.timeoutSeconds },
      );
      return c.json(result);
    });
  },
};
