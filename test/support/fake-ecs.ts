import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A wire-level fake of the ECS API on 127.0.0.1: the AWS JSON 1.1 protocol as the real
 * @aws-sdk/client-ecs speaks it (POST /, X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Op>).
 * It records every call and can answer errors (ThrottlingException, ServerException…) on demand.
 */

export const TARGET_PREFIX = "AmazonEC2ContainerServiceV20141113.";
export type EcsOperation = "DescribeTaskDefinition" | "DescribeTasks" | "StopTask";

export interface FakeContainerDefinition {
  name: string;
  image?: string;
  dockerLabels?: Record<string, string>;
  portMappings?: Array<{ containerPort: number; name?: string; protocol?: string }>;
  stopTimeout?: number;
}

export interface FakeTask {
  taskArn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  lastStatus: string;
  desiredStatus: string;
  containers: Array<{
    name: string;
    lastStatus?: string;
    runtimeId?: string;
    networkInterfaces?: Array<{ attachmentId?: string; privateIpv4Address?: string }>;
  }>;
  attachments?: Array<{
    id?: string;
    type?: string;
    status?: string;
    details?: Array<{ name: string; value: string }>;
  }>;
}

export interface FakeCall {
  operation: string;
  body: Record<string, unknown>;
  /** The SigV4 Authorization header came along (the SDK signed the request). */
  signed: boolean;
  at: number;
}

export interface InjectedError {
  status: number;
  type: string;
  message: string;
}

export interface FakeEcs {
  url: string;
  calls: FakeCall[];
  callsOf(operation: EcsOperation): FakeCall[];
  putTaskDefinition(arn: string, containers: FakeContainerDefinition[]): void;
  putTask(task: FakeTask): void;
  /** The next `times` calls of `operation` answer this error instead. */
  failNext(operation: EcsOperation, error: InjectedError, times?: number): void;
  /** Every call of `operation` waits this long before answering. */
  delay(operation: EcsOperation, ms: number): void;
  /** Calls of `operation` are read and recorded, then never answered (until `hang(op, false)`). */
  hang(operation: EcsOperation, on?: boolean): void;
  close(): Promise<void>;
}

export const THROTTLED: InjectedError = {
  status: 400,
  type: "ThrottlingException",
  message: "Rate exceeded",
};
export const SERVER_ERROR: InjectedError = {
  status: 500,
  type: "ServerException",
  message: "internal failure of the fake",
};

export async function startFakeEcs(): Promise<FakeEcs> {
  const taskDefinitions = new Map<string, FakeContainerDefinition[]>();
  const tasks = new Map<string, FakeTask>();
  const failures = new Map<string, InjectedError[]>();
  const delays = new Map<string, number>();
  const hanging = new Set<string>();
  const calls: FakeCall[] = [];

  const answer = (res: ServerResponse, status: number, body: unknown, errorType?: string) => {
    const headers: Record<string, string> = {
      "content-type": "application/x-amz-json-1.1",
      "x-amzn-requestid": `fake-${calls.length}`,
    };
    if (errorType) headers["x-amzn-errortype"] = errorType;
    res.writeHead(status, headers).end(JSON.stringify(body));
  };
  const error = (res: ServerResponse, e: InjectedError) =>
    answer(res, e.status, { __type: e.type, message: e.message }, e.type);

  const findTask = (ref: string): FakeTask | undefined =>
    tasks.get(ref) ?? [...tasks.values()].find((t) => t.taskArn.endsWith(`/${ref}`));

  const handle = (operation: string, body: Record<string, unknown>, res: ServerResponse) => {
    switch (operation) {
      case "DescribeTaskDefinition": {
        const arn = String(body.taskDefinition);
        const containers = taskDefinitions.get(arn);
        if (!containers) {
          return error(res, {
            status: 400,
            type: "ClientException",
            message: `Unable to describe task definition ${arn}.`,
          });
        }
        const [, family = "", revision = "0"] = /task-definition\/([^:]+):(\d+)$/.exec(arn) ?? [];
        return answer(res, 200, {
          taskDefinition: {
            taskDefinitionArn: arn,
            family,
            revision: Number(revision),
            containerDefinitions: containers,
            status: "ACTIVE",
          },
          tags: [],
        });
      }
      case "DescribeTasks": {
        const refs = Array.isArray(body.tasks) ? body.tasks.map(String) : [];
        const found = refs.map((r) => ({ ref: r, task: findTask(r) }));
        return answer(res, 200, {
          tasks: found.flatMap((f) => (f.task ? [f.task] : [])),
          failures: found.filter((f) => !f.task).map((f) => ({ arn: f.ref, reason: "MISSING" })),
        });
      }
      case "StopTask": {
        const task = findTask(String(body.task));
        if (!task) {
          return error(res, {
            status: 400,
            type: "InvalidParameterException",
            message: "The referenced task was not found.",
          });
        }
        task.desiredStatus = "STOPPED";
        return answer(res, 200, { task: { ...task, stoppedReason: body.reason } });
      }
      default:
        return error(res, {
          status: 400,
          type: "UnknownOperationException",
          message: `no operation ${operation}`,
        });
    }
  };

  /**
   * Besides the ECS API (POST /), a control plane for tests that cannot call the methods
   * (tests inside workerd): `POST /_fake/task-definition {arn, containers}`, `POST /_fake/task
   * {task}`, `POST /_fake/fail {operation, error, times}`, `GET /_fake/calls`; and
   * `GET /_fake/hook/<name>[?status=N]`, an httpGet target recorded among the calls (operation
   * `hook /<name>`), so that one list shows the order of hooks and ECS calls.
   */
  const control = (req: IncomingMessage, text: string, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (url.pathname.startsWith("/_fake/hook/")) {
      calls.push({
        operation: `hook ${url.pathname.slice("/_fake/hook".length)}`,
        body: {},
        signed: false,
        at: Date.now(),
      });
      return json(Number(url.searchParams.get("status") ?? 200), { hook: url.pathname });
    }
    const body = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    switch (`${req.method} ${url.pathname}`) {
      case "POST /_fake/task-definition":
        taskDefinitions.set(String(body.arn), body.containers as FakeContainerDefinition[]);
        return json(200, {});
      case "POST /_fake/task":
        tasks.set(String((body.task as FakeTask).taskArn), body.task as FakeTask);
        return json(200, {});
      case "POST /_fake/fail": {
        const queued = failures.get(String(body.operation)) ?? [];
        for (let i = 0; i < Number(body.times ?? 1); i++) queued.push(body.error as InjectedError);
        failures.set(String(body.operation), queued);
        return json(200, {});
      }
      case "GET /_fake/calls":
        return json(200, calls);
      default:
        return json(404, { error: `no control route ${req.method} ${url.pathname}` });
    }
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url?.startsWith("/_fake/")) {
        try {
          return control(req, Buffer.concat(chunks).toString("utf8"), res);
        } catch (err) {
          return res.writeHead(400).end(String(err));
        }
      }
      const target = String(req.headers["x-amz-target"] ?? "");
      const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
      } catch {
        return error(res, { status: 400, type: "SerializationException", message: "body is not JSON" });
      }
      calls.push({
        operation,
        body,
        signed: /^AWS4-HMAC-SHA256 /.test(String(req.headers.authorization)),
        at: Date.now(),
      });
      const respond = () => {
        const queued = failures.get(operation);
        const injected = queued?.shift();
        if (injected) return error(res, injected);
        return handle(operation, body, res);
      };
      if (hanging.has(operation)) return;
      const wait = delays.get(operation) ?? 0;
      if (wait > 0) setTimeout(respond, wait);
      else respond();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    callsOf: (operation) => calls.filter((c) => c.operation === operation),
    putTaskDefinition: (arn, containers) => taskDefinitions.set(arn, containers),
    putTask: (task) => tasks.set(task.taskArn, task),
    failNext(operation, e, times = 1) {
      const queued = failures.get(operation) ?? [];
      for (let i = 0; i < times; i++) queued.push(e);
      failures.set(operation, queued);
    },
    delay: (operation, ms) => delays.set(operation, ms),
    hang: (operation, on = true) => void (on ? hanging.add(operation) : hanging.delete(operation)),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
