import type { IncomingMessage, ServerResponse } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NodeServer } from "../../src/entry/node.ts";
import { runCli } from "../support/cli.ts";
import { lifecycleLabel } from "../support/labels.ts";
import { post, startService, startTarget, type TestTarget } from "../support/servers.ts";

/**
 * Contract §1, "Labels are less trusted than hookd's operator", through the public routes.
 * Containers live at 127.0.0.1; 127.0.0.2 (also loopback on Linux) plays another host.
 */
const TOKEN = "trust-t0k";
const AGENT_TOKEN = "agent-s3cret";
const OTHER = "127.0.0.2";

type Result = { outcome: string; message: string; statusCode?: number; warnings: string[] };

const ok = (_req: IncomingMessage, res: ServerResponse) => res.writeHead(200).end("ok");
/** A fake exec agent: answers every exec with exit code 0 and keeps what it was sent. */
const agentAnswer = (_req: IncomingMessage, res: ServerResponse) =>
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ exitCode: 0, output: "" }));

function dockerEvent(labels: Record<string, string>, ip = "127.0.0.1") {
  return { phase: "postStart", container: { id: "c0ffee", name: "web", ip, labels } };
}

async function withService<T>(
  env: Record<string, string>,
  work: (svc: NodeServer) => Promise<T>,
): Promise<T> {
  const svc = await startService({ HOOKD_TOKEN: TOKEN, HOOKD_AGENT_TOKEN: AGENT_TOKEN, ...env });
  try {
    return await work(svc);
  } finally {
    await svc.close();
  }
}

async function dockerResult(svc: NodeServer, labels: Record<string, string>, ip?: string): Promise<Result> {
  const { status, json } = await post(svc.url, "/v1/events/docker", dockerEvent(labels, ip), TOKEN);
  expect(status).toBe(200);
  return json.result as Result;
}

describe("httpGet.host from a label", () => {
  let other: TestTarget;
  let own: TestTarget;
  beforeAll(async () => {
    other = await startTarget(ok, OTHER);
    own = await startTarget((req, res) => {
      if (req.url === "/away")
        return res.writeHead(302, { location: `http://${OTHER}:${other.port}/` }).end();
      if (req.url === "/moved") return res.writeHead(301, { location: "/" }).end();
      res.writeHead(200).end("own");
    });
  });
  afterAll(async () => {
    await other.close();
    await own.close();
  });
  const aimedAt = (host: string, port = other.port, path = "/") =>
    lifecycleLabel({ postStart: { httpGet: { host, port, path }, timeoutSeconds: 5 } });

  it("is refused for another host, without a connection, naming HOOKD_ALLOW_HOSTS", async () => {
    await withService({}, async (svc) => {
      const before = other.connections();
      const result = await dockerResult(svc, aimedAt(OTHER));
      expect(result).toMatchObject({
        outcome: "failed",
        message: expect.stringContaining("HOOKD_ALLOW_HOSTS"),
      });
      expect(result.message).toContain(`httpGet.host names ${OTHER}, not the container's IP (127.0.0.1)`);
      expect(result).not.toHaveProperty("statusCode");
      expect(other.connections()).toBe(before);
    });
  });

  it("is refused in every spelling of another address, and for a name, however it resolves", async () => {
    // 2130706434, 0x7f000002, 0177.0.0.2 and 127.2 are 127.0.0.2 to WHATWG URL; localhost is a
    // name (resolving to the container's own 127.0.0.1 does not make it the container's IP).
    await withService({ HOOKD_ALLOW_HOSTS: "127.0.0.0/30" }, async (svc) => {
      const before = other.connections();
      for (const host of ["localhost", "LOCALHOST."]) {
        const result = await dockerResult(svc, aimedAt(host, own.port));
        expect(result.outcome, host).toBe("failed");
        expect(result.message, host).toContain("HOOKD_ALLOW_HOSTS");
      }
      expect(own.requests).toHaveLength(0);
      expect(other.connections()).toBe(before);
    });
    await withService({}, async (svc) => {
      const before = other.connections();
      for (const host of [
        "2130706434",
        "0x7f000002",
        "0177.0.0.2",
        "127.2",
        "::ffff:127.0.0.2",
        "::ffff:7f00:2",
      ]) {
        const result = await dockerResult(svc, aimedAt(host));
        expect(result.outcome, host).toBe("failed");
        expect(result.message, host).toMatch(/names (127\.0\.0\.2|::ffff:7f00:2), not the container's IP/);
      }
      expect(other.connections()).toBe(before);
    });
  });

  it("is allowed by HOOKD_ALLOW_HOSTS, as an address, a CIDR or a name", async () => {
    for (const allow of [OTHER, "10.0.0.0/8, 127.0.0.2/32", "0x7f000002"]) {
      await withService({ HOOKD_ALLOW_HOSTS: allow }, async (svc) => {
        const before = other.requests.length;
        const result = await dockerResult(svc, aimedAt(OTHER));
        expect(result, allow).toMatchObject({ outcome: "succeeded", statusCode: 200 });
        expect(other.requests.length).toBe(before + 1);
      });
    }
    await withService({ HOOKD_ALLOW_HOSTS: "Localhost" }, async (svc) => {
      const result = await dockerResult(svc, aimedAt("localhost", own.port));
      expect(result).toMatchObject({ outcome: "succeeded", statusCode: 200 });
    });
  });

  it("may name the container's own IP, in any spelling", async () => {
    await withService({}, async (svc) => {
      for (const host of ["127.0.0.1", "2130706433", "::ffff:127.0.0.1"]) {
        const result = await dockerResult(svc, aimedAt(host, own.port));
        expect(result, host).toMatchObject({ outcome: "succeeded", statusCode: 200 });
      }
    });
  });

  it("follows a same-host redirect, and a redirect does not take it to another host", async () => {
    await withService({}, async (svc) => {
      const moved = await dockerResult(svc, aimedAt("127.0.0.1", own.port, "/moved"));
      expect(moved).toMatchObject({ outcome: "succeeded", statusCode: 200 });
      const before = other.connections();
      const away = await dockerResult(svc, aimedAt("127.0.0.1", own.port, "/away"));
      expect(away).toMatchObject({ statusCode: 302 });
      expect(away.warnings.join(" ")).toMatch(/redirect to another host .* not followed/);
      expect(other.connections()).toBe(before);
    });
  });

  it("stays open to POST /v1/hooks/run, whose caller holds the token", async () => {
    await withService({}, async (svc) => {
      const before = other.requests.length;
      const { json } = await post(
        svc.url,
        "/v1/hooks/run",
        {
          phase: "postStart",
          container: { ip: "127.0.0.1" },
          handler: { httpGet: { host: OTHER, port: other.port } },
        },
        TOKEN,
      );
      expect(json).toMatchObject({ outcome: "succeeded", statusCode: 200 });
      expect(other.requests.length).toBe(before + 1);
    });
  });
});

describe("hookd.agent-url from a label", () => {
  let otherAgent: TestTarget;
  let ownAgent: TestTarget;
  beforeAll(async () => {
    otherAgent = await startTarget(agentAnswer, OTHER);
    ownAgent = await startTarget(agentAnswer);
  });
  afterAll(async () => {
    await otherAgent.close();
    await ownAgent.close();
  });
  const execAt = (agentUrl: string) =>
    lifecycleLabel(
      { postStart: { exec: { command: ["true"] }, timeoutSeconds: 5 } },
      { "hookd.agent-url": agentUrl },
    );
  const bearer = (t: TestTarget) => t.requests.map((r) => r.headers.authorization);

  it("is refused for another host: the fake agent there receives nothing, and the message names HOOKD_AGENT_HOSTS", async () => {
    // HOOKD_ALLOW_HOSTS opens httpGet, not the agent token.
    await withService({ HOOKD_ALLOW_HOSTS: OTHER }, async (svc) => {
      for (const url of [
        `http://${OTHER}:${otherAgent.port}`,
        `http://{ip}@${OTHER}:${otherAgent.port}`,
        `http://2130706434:${otherAgent.port}`,
      ]) {
        const result = await dockerResult(svc, execAt(url));
        expect(result.outcome, url).toBe("failed");
        expect(result.message, url).toMatch(
          /refused without connecting: the hookd\.agent-url label names .*HOOKD_AGENT_HOSTS/,
        );
      }
    });
    expect(otherAgent.connections()).toBe(0);
  });

  it("sends the token to the container's own IP ({ip})", async () => {
    await withService({}, async (svc) => {
      const result = await dockerResult(svc, execAt(`http://{ip}:${ownAgent.port}`));
      expect(result).toMatchObject({ outcome: "succeeded", exitCode: 0 });
      expect(bearer(ownAgent).at(-1)).toBe(`Bearer ${AGENT_TOKEN}`);
    });
  });

  it("sends the token to another host once HOOKD_AGENT_HOSTS lists it", async () => {
    for (const hosts of [OTHER, "127.0.0.2/32"]) {
      await withService({ HOOKD_AGENT_HOSTS: hosts }, async (svc) => {
        const before = otherAgent.requests.length;
        const result = await dockerResult(svc, execAt(`http://${OTHER}:${otherAgent.port}`));
        expect(result, hosts).toMatchObject({ outcome: "succeeded", exitCode: 0 });
        expect(otherAgent.requests.length).toBe(before + 1);
        expect(bearer(otherAgent).at(-1)).toBe(`Bearer ${AGENT_TOKEN}`);
      });
    }
  });

  it("trusts HOOKD_AGENT_URL and the agentUrl of POST /v1/hooks/run: the operator chose them", async () => {
    await withService({ HOOKD_AGENT_URL: `http://${OTHER}:${otherAgent.port}` }, async (svc) => {
      const before = otherAgent.requests.length;
      const labels = lifecycleLabel({ postStart: { exec: { command: ["true"] } } });
      expect(await dockerResult(svc, labels)).toMatchObject({ outcome: "succeeded" });
      const { json } = await post(
        svc.url,
        "/v1/hooks/run",
        {
          phase: "postStart",
          container: { ip: "127.0.0.1", name: "web" },
          handler: { exec: { command: ["true"] } },
          agentUrl: `http://${OTHER}:${otherAgent.port}`,
        },
        TOKEN,
      );
      expect(json).toMatchObject({ outcome: "succeeded" });
      expect(otherAgent.requests.length).toBe(before + 2);
    });
  });
});

describe("HOOKD_DENY_CIDRS: every spelling of a denied address", () => {
  let denied: TestTarget;
  beforeAll(async () => {
    denied = await startTarget(ok, OTHER);
  });
  afterAll(() => denied.close());
  const run = (svc: NodeServer, host: string, port = 80) =>
    post(
      svc.url,
      "/v1/hooks/run",
      {
        phase: "postStart",
        container: { ip: "127.0.0.1" },
        handler: { httpGet: { host, port }, timeoutSeconds: 5 },
      },
      TOKEN,
    );

  it("refuses AWS's IPv6 metadata address and IPv4 metadata in any spelling by default, before connecting", async () => {
    await withService({}, async (svc) => {
      const spellings = {
        "fd00:ec2::254": "fd00:ec2::254/128",
        "fd00:ec2:0:0:0:0:0:254": "fd00:ec2::254/128",
        "::ffff:169.254.169.254": "169.254.0.0/16",
        "::ffff:a9fe:a9fe": "169.254.0.0/16",
        "2852039166": "169.254.0.0/16",
        "0xa9fea9fe": "169.254.0.0/16",
        "0251.0376.0251.0376": "169.254.0.0/16",
        "169.254.43518": "169.254.0.0/16",
      };
      for (const [host, cidr] of Object.entries(spellings)) {
        const { json } = await run(svc, host);
        expect(json.outcome, host).toBe("failed");
        expect(json.message, host).toContain(`is in the denied range ${cidr} (HOOKD_DENY_CIDRS)`);
        // Refused before a connection: no connect error, no timeout.
        expect(json.durationMs as number, host).toBeLessThan(1000);
      }
    });
  });

  it("refuses every spelling of a denied loopback address: the server there sees no connection", async () => {
    await withService({ HOOKD_DENY_CIDRS: "127.0.0.2/32" }, async (svc) => {
      for (const host of [
        OTHER,
        "2130706434",
        "0x7f000002",
        "0177.0.0.2",
        "127.2",
        "::ffff:127.0.0.2",
        "::ffff:7f00:2",
      ]) {
        const { json } = await run(svc, host, denied.port);
        expect(json.outcome, host).toBe("failed");
        expect(json.message, host).toContain("127.0.0.2/32 (HOOKD_DENY_CIDRS)");
      }
      // A label allowed by HOOKD_ALLOW_HOSTS is still held to the deny list.
      const labels = lifecycleLabel({ postStart: { httpGet: { host: OTHER, port: denied.port } } });
      expect(denied.connections()).toBe(0);
      await withService({ HOOKD_DENY_CIDRS: "127.0.0.2/32", HOOKD_ALLOW_HOSTS: OTHER }, async (allowing) => {
        const result = await dockerResult(allowing, labels);
        expect(result).toMatchObject({
          outcome: "failed",
          message: expect.stringContaining("HOOKD_DENY_CIDRS"),
        });
      });
      expect(denied.connections()).toBe(0);
    });
  });
});

describe("HOOKD_ALLOW_HOSTS and HOOKD_AGENT_HOSTS at start", () => {
  it("refuses a bad value, naming the variable and the value", async () => {
    for (const [name, value] of [
      ["HOOKD_ALLOW_HOSTS", "hooks.internal, http://evil"],
      ["HOOKD_AGENT_HOSTS", "10.0.0.0/33"],
      ["HOOKD_AGENT_HOSTS", "*.internal"],
    ] as const) {
      const r = await runCli(["serve", "--port", "0"], { env: { HOOKD_TOKEN: TOKEN, [name]: value } });
      expect(r.code, value).toBe(1);
      // The variable, its whole value, what is allowed, and which entry is not.
      expect(r.stderr, value).toContain(
        `${name}=${JSON.stringify(value)}: expected comma-separated host names and CIDRs`,
      );
      expect(r.stderr, value).toMatch(/: "[^"]+" is not a (host name or )?CIDR/);
    }
  });
});
