import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lifecycleLabel, runningEvent, stoppingEvent, taskOf } from "../ecs/harness.ts";
import { type HookdProcess, startHookd } from "../support/cli.ts";
import { type Dynalite, startDynalite } from "../support/dynalite.ts";
import { type FakeEcs, startFakeEcs } from "../support/fake-ecs.ts";
import { fakeEcsEnv } from "../support/fake-ecs-env.ts";
import { post, startTarget, type TestTarget } from "../support/servers.ts";

const TOKEN = "shared-dynamo-t0k";
const PROCESSES = 3;
const COPIES = 10;

/**
 * Contract §7 on DynamoDB: real `hookd serve` processes sharing one table (dynalite, on
 * loopback, reached through AWS_ENDPOINT_URL_DYNAMODB as the SDK reads it), the same ECS events
 * many times at once to each of them; then the table's endpoint disappears.
 */
describe("several hookd serve processes sharing one DynamoDB table", () => {
  let dynalite: Dynalite;
  let fake: FakeEcs;
  let target: TestTarget;
  const services: Array<{ process: HookdProcess; url: string }> = [];
  beforeAll(async () => {
    dynalite = await startDynalite();
    fake = await startFakeEcs();
    target = await startTarget((_req, res) => res.writeHead(200).end("ok"));
    // The ECS fake's region and keys first: the table lives wherever the endpoint says.
    const env = {
      HOOKD_TOKEN: TOKEN,
      ...fakeEcsEnv(fake.url),
      HOOKD_STORE: "dynamodb:hookd-shared",
      AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
    };
    const started = Array.from({ length: PROCESSES }, () => startHookd(["serve", "--port", "0"], env));
    for (const p of started) {
      const [, url] = await p.waitForStderr(/listening on (http:\/\/\S+)/);
      services.push({ process: p, url: url ?? "" });
    }
  }, 120_000);
  afterAll(async () => {
    for (const s of services) await s.process.stop();
    await target.close();
    await fake.close();
    await dynalite.kill();
  });

  const hits = (path: string) => target.requests.filter((r) => r.url === path).length;
  const everywhere = (path: string, body: unknown) =>
    Promise.all(
      services.flatMap((s) => Array.from({ length: COPIES }, () => post(s.url, path, body, TOKEN))),
    );
  const newTask = (name: string) => {
    const arn = `arn:aws:ecs:us-west-2:111122223333:task-definition/${name}:1`;
    fake.putTaskDefinition(arn, [
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel({
          postStart: { httpGet: { path: `/${name}/started`, port: target.port } },
          preStop: { httpGet: { path: `/${name}/stopping`, port: target.port } },
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
  };

  it("the same RUNNING event, many times at once to each process: one postStart, one run", async () => {
    const event = newTask("shared");
    const answers = await everywhere("/v1/events/ecs?wait=true", event);
    expect(answers.map((a) => a.status)).toEqual(Array(PROCESSES * COPIES).fill(200));
    expect(answers.flatMap((a) => a.json.results as unknown[])).toHaveLength(1);
    expect(answers.filter((a) => a.json.duplicate !== undefined)).toHaveLength(PROCESSES * COPIES - 1);
    expect(hits("/shared/started")).toBe(1);

    // The stop, the same way: one preStop; every process lists both runs from the table.
    await everywhere("/v1/events/ecs?wait=true", stoppingEvent(event, event.detail.version + 2));
    expect(hits("/shared/stopping")).toBe(1);
    const task = encodeURIComponent(event.detail.taskArn);
    for (const s of services) {
      const res = await fetch(`${s.url}/v1/runs?task=${task}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const { runs } = (await res.json()) as { runs: Array<Record<string, unknown>> };
      expect(runs.map((r) => r.phase)).toEqual(["preStop", "postStart"]);
    }
  });

  it("answers 503 and runs nothing once the table cannot be reached", async () => {
    const event = newTask("gone");
    await dynalite.kill();
    const service = services[0];
    if (!service) throw new Error("no service");
    const started = Date.now();
    const answer = await post(service.url, "/v1/events/ecs?wait=true", event, TOKEN);
    expect(answer.status).toBe(503);
    expect(answer.json).toMatchObject({
      error: { code: "store_unavailable", message: expect.stringContaining("dynamodb:hookd-shared") },
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(hits("/gone/started")).toBe(0);
  });
});
