import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stoppingEvent } from "../ecs/harness.ts";
import { type FakeEcs, startFakeEcs } from "../support/fake-ecs.ts";
import { fakeEcsEnv } from "../support/fake-ecs-env.ts";
import { startTarget, type TestTarget } from "../support/servers.ts";
import { type ServiceFleet, startServiceFleet, taskWithHooks } from "../support/service-fleet.ts";
import { tempDir } from "../support/temp-dir.ts";

const TOKEN = "shared-t0k";
const PROCESSES = 3;
const COPIES = 10;

/**
 * Contract §7: any number of instances sharing a store act as one. Real `hookd serve` processes,
 * one SQLite file, the same ECS events many times at once to each of them.
 */
describe("several hookd serve processes sharing one SQLite file", () => {
  const dir = tempDir("hookd-shared");
  let fake: FakeEcs;
  let target: TestTarget;
  let fleet: ServiceFleet;
  beforeAll(async () => {
    fake = await startFakeEcs();
    target = await startTarget((_req, res) => res.writeHead(200).end("ok"));
    fleet = await startServiceFleet(
      PROCESSES,
      { HOOKD_STORE: `sqlite:${join(dir, "state", "hookd.db")}`, ...fakeEcsEnv(fake.url) },
      TOKEN,
    );
  }, 120_000);
  afterAll(async () => {
    expect(await fleet.stop()).toEqual(Array(PROCESSES).fill(0));
    await target.close();
    await fake.close();
  });

  const hits = (path: string) => target.requests.filter((r) => r.url === path).length;

  it("the same RUNNING event, many times at once to each process: one postStart, one run", async () => {
    const event = taskWithHooks(fake, "shared", target.port);

    const answers = await fleet.everywhere("/v1/events/ecs?wait=true", event, COPIES);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const ran = answers.flatMap((a) => a.json.results as unknown[]);
    expect(ran).toHaveLength(1);
    expect(answers.filter((a) => a.json.duplicate !== undefined)).toHaveLength(PROCESSES * COPIES - 1);
    expect(hits("/shared/started")).toBe(1);

    // A later event about the same container start (a new version) runs nothing either.
    const later = structuredClone(event);
    later.detail.version += 1;
    const again = await fleet.everywhere("/v1/events/ecs?wait=true", later, COPIES);
    expect(again.flatMap((a) => a.json.results as unknown[])).toHaveLength(0);
    expect(hits("/shared/started")).toBe(1);

    // The stop, the same way (answered at once, run in the background): one preStop.
    await fleet.everywhere("/v1/events/ecs", stoppingEvent(event, event.detail.version + 2), COPIES);
    let phases: unknown[] = [];
    for (let i = 0; i < 100 && phases.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      // Any process answers for all: the runs are in the shared file.
      phases = await fleet.phasesOfTask(i, event.detail.taskArn);
    }
    expect(phases).toEqual(["preStop", "postStart"]);
    expect(hits("/shared/stopping")).toBe(1);
  });
});
