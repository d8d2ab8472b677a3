import { join } from "node:path";
import { createMemoryStore } from "../../src/store/memory.ts";
import { createSqliteStore } from "../../src/store/sqlite.ts";
import { describeStoreConformance } from "../support/store-conformance.ts";
import { tempDir } from "../support/temp-dir.ts";

describeStoreConformance("memory", {
  open: async ({ retentionMs, clock }) => createMemoryStore({ retentionMs, now: clock.now }),
});

const dir = tempDir("hookd-store");
let files = 0;
let current = "";

describeStoreConformance("sqlite", {
  // A fresh file per test, in a folder that does not exist yet (the store creates it).
  open: async ({ retentionMs, clock }) => {
    files += 1;
    current = join(dir, `t${files}`, "hookd.db");
    return createSqliteStore({ path: current, retentionMs, now: clock.now, purgeEveryMs: 0 });
  },
  // A second connection to the same file: what another process sees.
  openAnother: async ({ retentionMs, clock }) =>
    createSqliteStore({ path: current, retentionMs, now: clock.now }),
});
