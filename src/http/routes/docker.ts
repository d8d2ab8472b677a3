import { z } from "zod";
import { actionAfter, DEFAULT_GRACE_SECONDS } from "../../engine/policy.ts";
import { runHook } from "../../engine/run-hook.ts";
import {
  gracePeriodFromLabels,
  LABEL,
  labelWarnings,
  lifecycleFromLabels,
  namedPortsFromLabels,
} from "../../schema/labels.ts";
import { NamedPortsSchema, PhaseSchema } from "../../schema/lifecycle.ts";
import { HookResultSchema } from "../../schema/result.ts";
import { readJson } from "../body.ts";
import type { RouteModule } from "../deps.ts";
import { ApiError } from "../errors.ts";
import { countEvents } from "../event-metrics.ts";

export const DockerEventSchema = z.strictObject({
  phase: PhaseSchema,
  container: z.strictObject({
    id: z.string().min(1),
    name: z.string().min(1),
    labels: z.record(z.string(), z.string()),
    ip: z.string().min(1).optional(),
    ports: NamedPortsSchema.optional(),
  }),
  gracePeriodSeconds: z.number().int().min(0).max(86_400).optional(),
});

export const DockerEventAnswerSchema = z.object({
  result: HookResultSchema.nullable(),
  action: z.enum(["kill", "none"]),
});

export const dockerRoutes: RouteModule = {
  docs: [
    {
      method: "post",
      path: "/v1/events/docker",
      summary: "A container event from the Docker adapter: runs its hook from the labels and says what to do",
      body: DockerEventSchema,
      responses: {
        "200": {
          description: "the result (null without such a hook) and the action",
          schema: DockerEventAnswerSchema,
        },
      },
    },
  ],
  register(app, deps) {
    app.use("/v1/events/docker", countEvents("docker", deps.metrics));
    app.post("/v1/events/docker", async (c) => {
      const event = await readJson(c, DockerEventSchema);
      const { labels } = event.container;
      const lifecycle = lifecycleFromLabels(labels);
      if (lifecycle && !lifecycle.ok) throw labelError(lifecycle.issues);
      const handler = lifecycle?.value[event.phase];
      if (!handler) return c.json({ result: null, action: "none" });
      const ports = namedPortsFromLabels(labels);
      if (!ports.ok) throw labelError(ports.issues);
      // A bad grace period or restart policy label is a warning of the result, not a refusal.
      const warnings = labelWarnings(labels, "docker");
      const grace = gracePeriodFromLabels(labels);
      // preStop shares the grace period with the stop that follows.
      const graceSeconds =
        event.gracePeriodSeconds ?? (grace.ok ? grace.value : undefined) ?? DEFAULT_GRACE_SECONDS;
      const result = await runHook(
        event.phase,
        handler,
        {
          specFrom: "labels",
          id: event.container.id,
          name: event.container.name,
          ip: event.container.ip,
          ports: { ...ports.value, ...event.container.ports },
          agentUrl: labels[LABEL.agentUrl],
        },
        deps.engine,
        { notAfter: event.phase === "preStop" ? Date.now() + graceSeconds * 1000 : undefined, warnings },
      );
      const source = {
        runtime: "docker" as const,
        containerId: event.container.id,
        name: event.container.name,
      };
      const { result: answered } = await deps.recorder.record(result, source);
      return c.json({ result: answered, action: actionAfter(answered) });
    });
  },
};

function labelError(issues: { path: string; message: string }[]): ApiError {
  const prefixed = issues.map((i) => ({ path: `container.labels.${i.path}`, message: i.message }));
  const first = prefixed[0];
  return new ApiError(
    400,
    "invalid_label",
    `a hookd label is invalid: ${first?.path}: ${first?.message}`,
    prefixed,
  );
}
