import { type EcsEvent, lifecycleLabel, runningEvent, taskOf } from "../ecs/harness.ts";
import { type HookdProcess, startHookd } from "./cli.ts";
import type { FakeEcs } from "./fake-ecs.ts";
import { post } from "./servers.ts";

type Answer = Awaited<ReturnType<typeof post>>;

/**
 * Several real `hookd serve` processes started with one environment — one store between them —
 * as contract §7's "any number of instances sharing a store act as one" is tested.
 */
export interface ServiceFleet {
  services: Array<{ process: HookdProcess; url: string }>;
  /** `copies` POSTs of `body` to `path` on every process, all at once. */
  everywhere(path: string, body: unknown, copies: number): Promise<Answer[]>;
  /** The phases of a task's runs, newest first, as process `index` lists them (GET /v1/runs?task=). */
  phasesOfTask(index: number, task: string): Promise<unknown[]>;
  /** Stops every process; their exit statuses. */
  stop(): Promise<Array<number | null>>;
}

export async function startServiceFleet(
  count: number,
  env: Record<string, string>,
  token: string,
): Promise<ServiceFleet> {
  const started = Array.from({ length: count }, () =>
    startHookd(["serve", "--port", "0"], { ...env, HOOKD_TOKEN: token }),
  );
  const services: ServiceFleet["services"] = [];
  for (const p of started) {
    const [, url] = await p.waitForStderr(/listening on (http:\/\/\S+)/);
    services.push({ process: p, url: url ?? "" });
  }
  return {
    services,
    everywhere: (path, body, copies) =>
      Promise.all(
        services.flatMap((s) => Array.from({ length: copies }, () => post(s.url, path, body, token))),
      ),
    async phasesOfTask(index, task) {
      const service = services[index % services.length];
      const res = await fetch(`${service?.url}/v1/runs?task=${encodeURIComponent(task)}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return ((await res.json()) as { runs: Array<{ phase: unknown }> }).runs.map((r) => r.phase);
    },
    stop: () => Promise.all(services.map((s) => s.process.stop())),
  };
}

/**
 * A task of the fake ECS whose container has an httpGet postStart (`/NAME/started`) and preStop
 * (`/NAME/stopping`) against `port`; its RUNNING event.
 */
export function taskWithHooks(fake: FakeEcs, name: string, port: number): EcsEvent {
  const arn = `arn:aws:ecs:us-west-2:111122223333:task-definition/${name}:1`;
  fake.putTaskDefinition(arn, [
    {
      name: "FargateApp",
      dockerLabels: lifecycleLabel({
        postStart: { httpGet: { path: `/${name}/started`, port } },
        preStop: { httpGet: { path: `/${name}/stopping`, port } },
      }),
      portMappings: [],
    },
  ]);
  const event = runningEvent((d) => {
    d.taskDefinitionArn = arn;
    d.taskArn = `arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/${name}`;
  });
  fake.putTask(taskOf(event));
  return event;
}
