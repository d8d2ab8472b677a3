import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lifecycleLabel, runningEvent, stoppingEvent, taskOf } from "../ecs/harness.ts";
import { type HookdProcess, startHookd } from "../support/cli.ts";
import { type FakeEcs, startFakeEcs } from "../support/fake-ecs.ts";
import { fakeEcsEnv } from "../support/fake-ecs-env.ts";
import { post, startTarget, type TestTarget } from "../support/servers.ts";
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
  const services: Array<{ process: HookdProcess; url: string }> = [];
  beforeAll(async () => {
    fake = await startFakeEcs();
    target = await startTarget((_req, res) => res.writeHead(200).end("ok"));
    const env = {
      HOOKD_TOKEN: TOKEN,
      HOOKD_STORE: `sqlite:${join(dir, "state", "hookd.db")}`,
      ...fakeEcsEnv(fake.url),
    };
    const started = Array.from({ length: PROCESSES }, () => startHookd(["serve", "--port", "0"], env));
    for (const p of started) {
      const [, url] = await p.waitForStderr(/listening on (http:\/\/\S+)/);
      services.push({ process: p, url: url ?? "" });
    }
  }, 120_000);
  afterAll(async () => {
    for (const s of services) expect(await s.process.stop()).toBe(0);
    await target.close();
    await fake.close();
  });

  const hits = (path: string) => target.requests.filter((r) => r.url === path).length;
  const everywhere = (path: string, body: unknown) =>
    Promise.all(
      services.flatMap((s) => Array.from({ length: COPIES }, () => post(s.url, path, body, TOKEN))),
    );

  it("the same RUNNING event, many times at once to each process: one postStart, one run", async () => {
    const arn = "arn:aws:ecs:us-west-2:111122223333:task-definition/shared:1";
    fake.putTaskDefinition(arn, [
      {
        name: "FargateApp",
        dockerLabels: lifecycleLabel({
          postStart: { httpGet: { path: "/started", port: target.port } },
          preStop: { httpGet: { path: "/stopping", port: target.port } },
        }),
        portMappings: [],
      },
    ]);
    const event = runningEvent((d) => {
      d.taskDefinitionArn = arn;
    });
    fake.putTask(taskOf(event));

    const answers = await everywhere("/v1/events/ecs?wait=true", event);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const ran = answers.flatMap((a) => a.json.results as unknown[]);
    expect(ran).toHaveLength(1);
    expect(answers.filter((a) => a.json.duplicate !== undefined)).toHaveLength(PROCESSES * COPIES - 1);
    expect(hits("/started")).toBe(1);

    // A later event about the same container start (a new version) runs nothing either.
    const later = structuredClone(event);
    later.detail.version += 1;
    const again = await everywhere("/v1/events/ecs?wait=true", later);
    expect(again.flatMap((a) => a.json.results as unknown[])).toHaveLength(0);
    expect(hits("/started")).toBe(1);

    // The stop, the same way: one preStop.
    const stopping = stoppingEvent(event, event.detail.version + 2);
    await everywhere("/v1/events/ecs", stopping);
    const task = encodeURIComponent(event.detail.taskArn);
    let runs: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 100 && runs.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 100));
      // Any process answers for all: the runs are in the shared file.
      const s = services[i % services.length];
      const res = await fetch(`${s?.url}/v1/runs?task=${task}`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      runs = ((await res.json()) as { runs: Array<Record<string, unknown>> }).runs;
    }
    expect(runs.map((r) => r.phase)).toEqual(["preStop", "postStart"]);
    expect(hits("/stopping")).toBe(1);
  });
});
