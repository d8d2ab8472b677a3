import type { Json } from "./fuzz-bodies.ts";

/** The ECS task the fuzzed ECS events and stop requests name (see the fake ECS in fuzz.test.ts). */
export const ARN = "arn:aws:ecs:us-east-1:123456789012";
export const TASK = `${ARN}:task/fuzz/0123456789abcdef`;
export const CLUSTER = `${ARN}:cluster/fuzz`;
export const TASK_DEF = `${ARN}:task-definition/web:1`;

export interface RouteUnderTest {
  path: string;
  /** Valid bodies; `n` makes each one new where the route suppresses duplicates (ECS events). */
  bodies: Array<(n: number) => Json>;
  accepted: number;
}

/** A valid body of every route, with hook targets on a closed loopback port so that hooks end at once. */
export function validBodies(port: number): RouteUnderTest[] {
  const loopback = `http://127.0.0.1:${port}`;
  const container = { id: "c1", name: "web", ip: "127.0.0.1", ports: { http: port } };
  const httpGet = {
    path: "/warm?x=1",
    port,
    host: "127.0.0.1",
    scheme: "HTTP",
    httpHeaders: [{ name: "X-A", value: "1" }],
  };
  const exec = { command: ["sh", "-c", "true"], user: "root", workingDir: "/", env: { A: "1" } };
  const lifecycle = {
    postStart: { httpGet: { port: "http" }, timeoutSeconds: 1 },
    preStop: { sleep: { seconds: 0 }, timeoutSeconds: 1 },
  };
  const event = (n: number) => ({
    version: "0",
    id: "e1",
    "detail-type": "ECS Task State Change",
    source: "aws.ecs",
    region: "us-east-1",
    detail: {
      taskArn: TASK,
      clusterArn: CLUSTER,
      taskDefinitionArn: TASK_DEF,
      lastStatus: "RUNNING",
      desiredStatus: "RUNNING",
      version: n,
      containers: [
        {
          name: "web",
          lastStatus: "RUNNING",
          runtimeId: `r${n}`,
          networkInterfaces: [{ privateIpv4Address: "127.0.0.1" }],
        },
      ],
      attachments: [
        { type: "ElasticNetworkInterface", details: [{ name: "privateIPv4Address", value: "127.0.0.1" }] },
      ],
    },
  });
  return [
    {
      path: "/v1/hooks/run",
      accepted: 200,
      bodies: [
        () => ({
          phase: "postStart",
          handler: { httpGet, timeoutSeconds: 1 },
          container,
          agentUrl: loopback,
          timeoutSeconds: 1,
        }),
        () => ({
          phase: "preStop",
          handler: { exec, timeoutSeconds: 1 },
          container,
          agentUrl: loopback,
          timeoutSeconds: 1,
        }),
        () => ({
          phase: "preStop",
          handler: { sleep: { seconds: 0 }, timeoutSeconds: 1 },
          container,
          timeoutSeconds: 1,
        }),
      ],
    },
    {
      path: "/v1/events/docker",
      accepted: 200,
      bodies: [
        () => ({
          phase: "postStart",
          container: {
            ...container,
            labels: {
              "hookd.lifecycle": JSON.stringify(lifecycle),
              "hookd.ports": JSON.stringify({ http: port }),
              "hookd.termination-grace-period-seconds": "1",
              "hookd.restart-policy": "OnFailure",
              "hookd.agent-url": loopback,
            },
          },
          gracePeriodSeconds: 1,
        }),
      ],
    },
    { path: "/v1/events/ecs", accepted: 202, bodies: [event] },
    { path: "/v1/events/ecs?wait=true", accepted: 200, bodies: [event] },
    {
      path: "/v1/ecs/tasks/stop",
      accepted: 200,
      bodies: [() => ({ cluster: CLUSTER, task: TASK, reason: "fuzz" })],
    },
  ];
}
