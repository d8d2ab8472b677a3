import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Run } from "../../src/schema/run.ts";
import { createDurableObjectStore, isHookdStoreNamespace } from "../../src/store/durable-object.ts";
import { newRunId } from "../../src/store/port.ts";

/** HOOKD_STORE as wrangler.toml binds it: the SQLite-backed Durable Object, in workerd. */
function namespace() {
  const binding = env.HOOKD_STORE;
  if (!isHookdStoreNamespace(binding))
    throw new Error("wrangler.toml binds no Durable Object as HOOKD_STORE");
  return binding;
}

function run(container: string, task?: string): Run {
  const at = Date.now();
  return {
    id: newRunId(at),
    time: new Date(at).toISOString(),
    source: task ? { runtime: "ecs", cluster: "prod", task } : { runtime: "api" },
    phase: "postStart",
    handler: "httpGet",
    container,
    outcome: "succeeded",
    message: "httpGet http://127.0.0.1:8080/: status 200",
    warnings: [],
    startedAt: new Date(at).toISOString(),
    durationMs: 3,
  };
}

const unique = (name: string) => `${name}-${crypto.randomUUID()}`;

describe("HOOKD_STORE=durable-object", () => {
  it("gives a claim to exactly one of many concurrent callers, from separate stubs", async () => {
    // One client per would-be isolate: each holds its own stub of the one object.
    const clients = Array.from({ length: 5 }, () => createDurableObjectStore(namespace()));
    const key = unique("ecs-event");
    const wins = await Promise.all(
      Array.from({ length: 50 }, (_, i) => clients[i % clients.length]?.claim(key)),
    );
    expect(wins.filter((w) => w === true)).toHaveLength(1);
    await clients[0]?.release(key);
    expect(await clients[1]?.claim(key)).toBe(true);
  });

  it("records runs and lists them newest first, by container and by task", async () => {
    const store = createDurableObjectStore(namespace());
    const container = unique("app");
    const task = unique("arn:aws:ecs:us-west-2:111122223333:task/prod");
    const first = run(container, task);
    const second = run(container);
    await store.recordRun(first);
    await store.recordRun(second);
    const byContainer = await store.listRuns({ container, limit: 1 });
    expect(byContainer.runs.map((r) => r.id)).toEqual([second.id]);
    expect(byContainer.next).toBe(second.id);
    const rest = await store.listRuns({ container, limit: 1, cursor: second.id });
    expect(rest).toEqual({ runs: [first], next: null });
    expect((await store.listRuns({ task, limit: 50 })).runs).toEqual([first]);
    expect(await store.getRun(second.id)).toEqual(second);
  });

  it("sets its alarm for the outbox's next due entry, and the alarm flushes", async () => {
    const ns = namespace();
    // An object of its own, so that other tests' entries do not move its alarm.
    const stub = ns.get(ns.idFromName(unique("outbox")));
    const r = run("web");
    const dueAt = Date.now() + 60_000;
    await stub.recordRun(r, { id: r.id, body: "{}", createdAt: Date.now(), dueAt, attempts: 0 });
    const alarm = await runInDurableObject(stub, (_, state) => state.storage.getAlarm());
    expect(alarm).toBe(dueAt);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // Nothing delivered it yet (results delivery fills flushOutbox): the entry waits, the alarm is set again.
    expect(await stub.outboxSize()).toBe(1);
    expect(await runInDurableObject(stub, (_, state) => state.storage.getAlarm())).toBe(dueAt);
  });
});
