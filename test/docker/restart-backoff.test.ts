import { describe, expect, it } from "vitest";
import { BACKOFF_RESET_MS } from "../../src/engine/policy.ts";
import { RestartBackoff } from "../../src/runtimes/docker/restart-backoff.ts";

describe("restart backoff (the kubelet's crash-loop schedule)", () => {
  it("doubles from the initial delay up to the cap, per container", async () => {
    const backoff = new RestartBackoff(10_000, 300_000);
    let now = 0;
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      const { delayMs } = await backoff.next("a", now);
      delays.push(delayMs);
      now += delayMs + 1_000; // restarted, then failed its postStart a second later
    }
    expect(delays).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
    expect((await backoff.next("b", now)).delayMs).toBe(10_000);
  });

  it("starts again from the initial delay once the container ran 10 minutes after its restart", async () => {
    const backoff = new RestartBackoff(10_000, 300_000);
    const first = await backoff.next("a", 0);
    const second = await backoff.next("a", first.delayMs + 1_000);
    expect(second.delayMs).toBe(20_000);
    const restartedAt = first.delayMs + 1_000 + second.delayMs;
    expect((await backoff.next("a", restartedAt + BACKOFF_RESET_MS - 1)).delayMs).toBe(40_000);
    const later = restartedAt + BACKOFF_RESET_MS - 1 + 40_000;
    expect(await backoff.next("a", later + BACKOFF_RESET_MS)).toEqual({ delayMs: 10_000, restart: 1 });
  });
});
