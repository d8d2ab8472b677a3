import { afterAll, beforeAll } from "vitest";
import { createDynamoDbStore } from "../../src/store/dynamodb.ts";
import { type Dynalite, startDynalite } from "../support/dynalite.ts";
import { describeStoreConformance } from "../support/store-conformance.ts";

let dynalite: Dynalite;
beforeAll(async () => {
  dynalite = await startDynalite();
  Object.assign(process.env, dynalite.env);
});
afterAll(() => dynalite.kill());

let tables = 0;
describeStoreConformance("dynamodb", {
  // A fresh table per test, created by the store on first use.
  open: async ({ retentionMs, clock }) => {
    tables += 1;
    return createDynamoDbStore({ table: `conformance-${tables}`, retentionMs, now: clock.now });
  },
  // Another client on the same table: what another Lambda invocation or process sees.
  openAnother: async ({ retentionMs, clock }) =>
    createDynamoDbStore({ table: `conformance-${tables}`, retentionMs, now: clock.now }),
});
