import { describe, expect, inject, it } from "vitest";
import { callWorker, WORKER_TEST_TOKEN } from "./worker-client.ts";

/** POST /v1/hooks/run of an HTTPS httpGet hook against 127.0.0.1:port, on the main Worker. */
async function httpsHook(port: string): Promise<{ outcome: string; message: string }> {
  const res = await callWorker(
    new Request("http://hookd.test/v1/hooks/run", {
      method: "POST",
      headers: { authorization: `Bearer ${WORKER_TEST_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({
        phase: "postStart",
        handler: { httpGet: { scheme: "HTTPS", port: Number(port), path: "/warm" } },
        container: { name: "web", ip: "127.0.0.1" },
      }),
    }),
    {},
  );
  expect(res.status).toBe(200);
  return (await res.json()) as { outcome: string; message: string };
}

const EXPLAINED =
  /^httpGet https:\/\/127\.0\.0\.1:\d+\/warm: TLS: certificate not trusted, or no TLS on that port — Workers always verify TLS certificates \(the kubelet and hookd on Node do not\): give the target a certificate from a public CA for its host name, use scheme HTTP, or run this hook from hookd on Node or Lambda \(workerd reference \w+\)$/;

describe("Worker: TLS failures say what happened, not workerd's `internal error`", () => {
  it("a self-signed certificate", async () => {
    const result = await httpsHook(new URL(inject("selfSignedTarget")).port);
    expect(result.outcome).toBe("failed");
    expect(result.message).toMatch(EXPLAINED);
  });

  it("a server that answers plain HTTP (workerd does not tell it apart)", async () => {
    const result = await httpsHook(new URL(inject("loopbackTarget")).port);
    expect(result.outcome).toBe("failed");
    expect(result.message).toMatch(EXPLAINED);
  });
});
