import fc from "fast-check";
import { describe, expect, inject, it } from "vitest";
import { mutatedBodies, strayBodies } from "../support/fuzz-bodies.ts";
import { bundledWorker, mainWorker, WORKER_TEST_TOKEN, type WorkerUnderTest } from "./worker-client.ts";

/** Bodies reach the Worker as workerd streams them: a declared length, or none (chunked). */
function post(worker: WorkerUnderTest, body: BodyInit): Promise<Response> {
  return worker.fetch("http://hookd.test/v1/hooks/run", {
    method: "POST",
    headers: { authorization: `Bearer ${WORKER_TEST_TOKEN}`, "content-type": "application/json" },
    body,
  });
}

function streamOf(bytes: Uint8Array, pieces: number): ReadableStream<Uint8Array> {
  const size = Math.ceil(bytes.length / pieces);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

async function expectErrorBody(res: Response, context: string): Promise<void> {
  expect(res.status, context).toBeLessThan(500);
  const body = (await res.json()) as unknown;
  if (res.status >= 400) {
    expect(body, context).toEqual({
      error: { code: expect.any(String), message: expect.any(String), issues: expect.any(Array) },
    });
  }
}

const targetPort = Number(new URL(inject("loopbackTarget")).port);
const validHook = {
  phase: "postStart",
  handler: { httpGet: { path: "/status/204", port: targetPort, host: "127.0.0.1" }, timeoutSeconds: 1 },
  container: { name: "web", ip: "127.0.0.1" },
  timeoutSeconds: 1,
};

describe.each<[string, () => WorkerUnderTest]>([
  ["main Worker", () => mainWorker],
  ["deployed bundle", () => bundledWorker("HOOKD_BUNDLE")],
])("%s in workerd: request bodies", (_name, worker) => {
  it("answers 413 to a body over 1 MiB, with a length or streamed without one", async () => {
    const big = new TextEncoder().encode(JSON.stringify({ padding: "x".repeat(1024 * 1024) }));
    for (const [how, body] of [
      ["with Content-Length", big],
      ["streamed", streamOf(big, 16)],
    ] as const) {
      const res = await post(worker(), body);
      expect(res.status, how).toBe(413);
      expect(await res.json()).toMatchObject({ error: { code: "body_too_large" } });
    }
  });

  it("reads a streamed body under the limit", async () => {
    const res = await post(worker(), streamOf(new TextEncoder().encode(JSON.stringify(validHook)), 7));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ outcome: "succeeded", statusCode: 204 });
  });

  it("property: malformed bodies never make a 5xx, and every 4xx is the contract's error body", async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedBodies(validHook), strayBodies), async (body) => {
        await expectErrorBody(await post(worker(), new Uint8Array(body.bytes)), body.what);
      }),
      { numRuns: 40 },
    );
  });
});
