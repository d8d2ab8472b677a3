import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stoppingEvent } from "../ecs/harness.ts";
import { type Dynalite, startDynalite } from "../support/dynalite.ts";
import { type FakeEcs, startFakeEcs } from "../support/fake-ecs.ts";
import { fakeEcsEnv } from "../support/fake-ecs-env.ts";
import { scrapeSample } from "../support/metrics.ts";
import { post, startTarget, type TestTarget } from "../support/servers.ts";
import { type ServiceFleet, startServiceFleet, taskWithHooks } from "../support/service-fleet.ts";

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
  let fleet: ServiceFleet;
  beforeAll(async () => {
    dynalite = await startDynalite();
    fake = await startFakeEcs();
    target = await startTarget((_req, res) => res.writeHead(200).end("ok"));
    // The ECS fake's region and keys first: the table lives wherever the endpoint says.
    fleet = await startServiceFleet(
      PROCESSES,
      {
        ...fakeEcsEnv(fake.url),
        HOOKD_STORE: "dynamodb:hookd-shared",
        AWS_ENDPOINT_URL_DYNAMODB: dynalite.endpoint,
      },
      TOKEN,
    );
  }, 120_000);
  afterAll(async () => {
    await fleet.stop();
    await target.close();
    await fake.close();
    await dynalite.kill();
  });

  const hits = (path: string) => target.requests.filter((r) => r.url === path).length;

  it("the same RUNNING event, many times at once to each process: one postStart, one run", async () => {
    const event = taskWithHooks(fake, "shared", target.port);
    const answers = await fleet.everywhere("/v1/events/ecs?wait=true", event, COPIES);
    expect(answers.map((a) => a.status)).toEqual(Array(PROCESSES * COPIES).fill(200));
    expect(answers.flatMap((a) => a.json.results as unknown[])).toHaveLength(1);
    expect(answers.filter((a) => a.json.duplicate !== undefined)).toHaveLength(PROCESSES * COPIES - 1);
    expect(hits("/shared/started")).toBe(1);

    // The stop, the same way: one preStop; every process lists both runs from the table.
    const stopping = stoppingEvent(event, event.detail.version + 2);
    await fleet.everywhere("/v1/events/ecs?wait=true", stopping, COPIES);
    expect(hits("/shared/stopping")).toBe(1);
    for (let i = 0; i < PROCESSES; i++) {
      expect(await fleet.phasesOfTask(i, event.detail.taskArn)).toEqual(["preStop", "postStart"]);
    }
  });

  it("answers 503 and runs nothing once the table cannot be reached", async () => {
    const event = taskWithHooks(fake, "gone", target.port);
    await dynalite.kill();
    const service = fleet.services[0];
    if (!service) throw new Error("no service");
    const started = Date.now();
    const answer = await post(service.url, "/v1/events/ecs?wait=true", event, TOKEN);
    expect(answer.status).toBe(503);
    expect(answer.json).toMatchObject({
      error: { code: "store_unavailable", message: expect.stringContaining("dynamodb:hookd-shared") },
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(hits("/gone/started")).toBe(0);
    // The claim that failed is the one store error this process has seen.
    expect(await scrapeSample(service.url, TOKEN, "hookd_store_errors_total")).toBe(1);
  });
});
