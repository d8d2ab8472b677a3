import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { resolve } from "node:path";
import type { NodeServer } from "../../src/entry/node.ts";
import {
  type FakeContainerDefinition,
  type FakeEcs,
  type FakeTask,
  startFakeEcs,
} from "../support/fake-ecs.ts";
import { fakeEcsEnv } from "../support/fake-ecs-env.ts";
import { ECS_FIXTURES } from "../support/fixtures.ts";
import { post, startService, startTarget, type TestTarget } from "../support/servers.ts";
import { recordingServiceLog } from "../support/test-log.ts";
export const TOKEN = "ecs-t0k";

export type EcsEvent = {
  "detail-type": string;
  source: string;
  detail: {
    taskArn: string;
    clusterArn: string;
    taskDefinitionArn: string;
    desiredStatus: string;
    lastStatus: string;
    version: number;
    containers: Array<Record<string, unknown> & { name: string; lastStatus: string; runtimeId?: string }>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
};

/** An event of test/fixtures/ecs (its README says where each comes from). */
export function fixture(
  name: "task-running-fargate" | "container-stopped-task-running" | "task-deactivating-service-scheduler",
): EcsEvent {
  return JSON.parse(readFileSync(resolve(ECS_FIXTURES, `${name}.json`), "utf8")) as EcsEvent;
}

let serial = 0;

/**
 * The Fargate fixture as a fresh task (its own ARN, so tests do not see each other's runs),
 * with changes applied to its detail. Every IP stays 127.0.0.1.
 */
export function runningEvent(change: (d: EcsEvent["detail"]) => void = () => {}): EcsEvent {
  const event = fixture("task-running-fargate");
  serial += 1;
  const id = `${Date.now().toString(16)}${serial.toString(16).padStart(6, "0")}`;
  const taskArn = `arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/${id}`;
  event.detail.taskArn = taskArn;
  for (const c of event.detail.containers) c.taskArn = taskArn;
  change(event.detail);
  return event;
}

/** The same task, as ECS first reports it once asked to stop: desiredStatus STOPPED, lastStatus still RUNNING. */
export function stoppingEvent(running: EcsEvent, version = running.detail.version + 1): EcsEvent {
  const event = structuredClone(running);
  event.detail.desiredStatus = "STOPPED";
  event.detail.version = version;
  return event;
}

/**
 * The same task as the DEACTIVATING fixture shows it: a service deployment stops it and its load
 * balancer drains it (stopCode ServiceSchedulerInitiated), before ECS signals the containers.
 */
export function deactivatingEvent(running: EcsEvent, version = running.detail.version + 2): EcsEvent {
  const event = fixture("task-deactivating-service-scheduler");
  const d = event.detail;
  d.taskArn = running.detail.taskArn;
  d.clusterArn = running.detail.clusterArn;
  d.taskDefinitionArn = running.detail.taskDefinitionArn;
  d.containers = structuredClone(running.detail.containers);
  d.version = version;
  event.resources = [d.taskArn];
  return event;
}

export function taskOf(event: EcsEvent): FakeTask {
  const d = event.detail;
  return {
    taskArn: d.taskArn,
    clusterArn: d.clusterArn,
    taskDefinitionArn: d.taskDefinitionArn,
    lastStatus: d.lastStatus,
    desiredStatus: d.desiredStatus,
    containers: d.containers.map((c) => ({
      name: c.name,
      lastStatus: c.lastStatus,
      ...(c.runtimeId !== undefined && { runtimeId: c.runtimeId }),
      networkInterfaces: (c.networkInterfaces as FakeTask["containers"][number]["networkInterfaces"]) ?? [],
    })),
    attachments: (d.attachments as FakeTask["attachments"]) ?? [],
  };
}

export { lifecycleLabel } from "../support/labels.ts";

export interface EcsHarness {
  fake: FakeEcs;
  svc: NodeServer;
  logs: Array<Record<string, unknown>>;
  post(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }>;
  /** A task definition ARN of its own, holding these containers. */
  taskDefinition(containers: FakeContainerDefinition[]): string;
  /** A RUNNING event of a fresh task of that task definition; ECS (the fake) knows the task. */
  running(taskDefinitionArn: string, change?: (d: EcsEvent["detail"]) => void): EcsEvent;
  close(): Promise<void>;
}

let revision = 0;

/** The real Node service, its ECS client (the real SDK) pointed at a fake ECS endpoint on 127.0.0.1. */
export async function startEcsHarness(env: Record<string, string> = {}): Promise<EcsHarness> {
  const fake = await startFakeEcs();
  const { log, records } = recordingServiceLog();
  const svc = await startService({ HOOKD_TOKEN: TOKEN, ...fakeEcsEnv(fake.url), ...env }, { log });
  return {
    fake,
    svc,
    logs: records,
    post: (path, body) => post(svc.url, path, body, TOKEN),
    taskDefinition(containers) {
      revision += 1;
      const arn = `arn:aws:ecs:us-west-2:111122223333:task-definition/sample-fargate:${revision}`;
      fake.putTaskDefinition(arn, containers);
      return arn;
    },
    running(taskDefinitionArn, change = () => {}) {
      const event = runningEvent((d) => {
        d.taskDefinitionArn = taskDefinitionArn;
        change(d);
      });
      fake.putTask(taskOf(event));
      return event;
    },
    async close() {
      await svc.close();
      await fake.close();
    },
  };
}

/** A hook target whose answers wait until `release()`; records when each request came. */
export async function startGatedTarget(
  status = 200,
): Promise<TestTarget & { release(): void; arrivals: number[]; answered: number[] }> {
  let open: () => void = () => {};
  const gate = new Promise<void>((r) => {
    open = r;
  });
  const arrivals: number[] = [];
  const answered: number[] = [];
  const target = await startTarget((_req: IncomingMessage, res: ServerResponse) => {
    arrivals.push(Date.now());
    void gate.then(() => {
      answered.push(Date.now());
      res.writeHead(status).end("ok");
    });
  });
  return Object.assign(target, { release: () => open(), arrivals, answered });
}
