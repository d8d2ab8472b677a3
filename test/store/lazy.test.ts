import { describe, expect, it } from "vitest";
import { lazyStore } from "../../src/store/lazy.ts";
import { createMemoryStore } from "../../src/store/memory.ts";
import { StoreError } from "../../src/store/port.ts";

/** HOOKD_STORE=dynamodb loads the AWS SDK at the store's first call, not at start (src/store/lazy.ts). */
describe("a store loaded at its first call", () => {
  it("loads once, on the first call, and then answers as the store itself", async () => {
    let loads = 0;
    const store = lazyStore("memory (lazy)", async () => {
      loads++;
      return createMemoryStore({ retentionMs: 60_000 });
    });
    expect(loads).toBe(0);
    const claims = await Promise.all(Array.from({ length: 20 }, () => store.claim("k")));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(loads).toBe(1);
    await store.putState("s", { n: 1 }, 60_000);
    expect(await store.getState("s")).toEqual({ n: 1 });
    expect(await store.outbox.size()).toBe(0);
    await store.close();
    expect(loads).toBe(1);
  });

  it("a store that cannot be loaded fails each call with a StoreError naming it, and is tried again", async () => {
    let loads = 0;
    const store = lazyStore("dynamodb:hookd", async () => {
      loads++;
      if (loads === 1) throw new Error("Cannot find package '@aws-sdk/client-dynamodb'");
      return createMemoryStore({ retentionMs: 60_000 });
    });
    const failed = await store.claim("k").catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(StoreError);
    expect(String(failed)).toMatch(/dynamodb:hookd: cannot load the store: .*client-dynamodb/);
    expect(await store.claim("k")).toBe(true);
    expect(loads).toBe(2);
  });

  it("closing a store never loaded loads nothing", async () => {
    let loads = 0;
    const store = lazyStore("never", async () => {
      loads++;
      return createMemoryStore({ retentionMs: 60_000 });
    });
    await store.close();
    expect(loads).toBe(0);
  });
});

describe("a lazy store after close", () => {
  it("fails every call with a StoreError, and loads nothing more", async () => {
    let loads = 0;
    const store = lazyStore("memory (lazy)", async () => {
      loads++;
      return createMemoryStore({ retentionMs: 60_000 });
    });
    await store.claim("k");
    await store.close();
    const failed = await store.claim("other").catch((err: unknown) => err);
    expect(failed).toBeInstanceOf(StoreError);
    expect(String(failed)).toContain("memory (lazy): the store is closed");
    expect(loads).toBe(1);
  });
});
