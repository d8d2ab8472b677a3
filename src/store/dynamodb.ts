import {
  type AttributeValue,
  BatchWriteItemCommand,
  DeleteItemCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  PutItemCommand,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import { CONDITION_FAILED, tableCalls } from "./dynamodb-call.ts";
import { dynamoDbOutbox, outboxWrite } from "./dynamodb-outbox.ts";
import { getRun, listRuns, runWrites } from "./dynamodb-runs.ts";
import { TTL_ATTRIBUTE } from "./dynamodb-table.ts";
import { type Store, StoreError } from "./port.ts";

export interface DynamoDbStoreOptions {
  table: string;
  retentionMs: number;
  now?: () => number;
  /** Deadline of one call, the SDK's retries included (default 3 s). */
  timeoutMs?: number;
  /**
   * Region, endpoint and credentials; absent ones come from where the SDK reads them
   * (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB, the default credential chain).
   */
  client?: DynamoDBClientConfig;
}

/*
 * HOOKD_STORE=dynamodb:TABLE. One table, string keys pk and sk, TTL on expiresAt (epoch seconds).
 * Items also carry `exp` (epoch ms), which every read and condition checks: TTL deletes an item
 * up to days after it expires, and local DynamoDBs never do.
 *   claims  pk "claim#<key>"    created by a conditional PutItem: exactly one caller wins
 *   leases  pk "lease#<key>"    a conditional PutItem: free, expired, or already the owner's
 *   state   pk "state#<key>"    a JSON value
 *   runs    see dynamodb-runs.ts; the outbox, dynamodb-outbox.ts
 * Conditional writes on one item, no transactions: each claim and lease is one item.
 */
export function createDynamoDbStore(options: DynamoDbStoreOptions): Store {
  const now = options.now ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 3_000;
  const client = new DynamoDBClient({
    // The socket's own deadlines, under the call's: a dead endpoint fails fast and is retried.
    requestHandler: { connectionTimeout: Math.min(1_000, timeoutMs), requestTimeout: timeoutMs },
    ...options.client,
  });
  const { table } = options;
  const calls = tableCalls(client, table, timeoutMs);

  const single = (kind: string, key: string) => ({ pk: { S: `${kind}#${key}` }, sk: { S: kind } });
  const expiry = (expiresAtMs: number): Record<string, AttributeValue> => ({
    exp: { N: String(expiresAtMs) },
    [TTL_ATTRIBUTE]: { N: String(Math.ceil(expiresAtMs / 1000)) },
  });
  const getLive = async (kind: string, key: string) => {
    const out = await calls.send(`GetItem (${kind})`, (abortSignal) =>
      client.send(new GetItemCommand({ TableName: table, Key: single(kind, key), ConsistentRead: true }), {
        abortSignal,
      }),
    );
    return out.Item && Number(out.Item.exp?.N ?? 0) > now() ? out.Item : undefined;
  };
  const remove = async (kind: string, key: string) => {
    await calls.send(`DeleteItem (${kind})`, (abortSignal) =>
      client.send(new DeleteItemCommand({ TableName: table, Key: single(kind, key) }), { abortSignal }),
    );
  };

  /** BatchWriteItem, its unprocessed items (throttling) sent again a few times. */
  async function writeAll(writes: WriteRequest[]): Promise<void> {
    let pending = writes;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === 5) {
        throw new StoreError(
          `dynamodb:${table}: BatchWriteItem (run): ${pending.length} items left unwritten`,
        );
      }
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** attempt));
      const batch = pending;
      const out = await calls.send("BatchWriteItem (run)", (abortSignal) =>
        client.send(new BatchWriteItemCommand({ RequestItems: { [table]: batch } }), { abortSignal }),
      );
      pending = out.UnprocessedItems?.[table] ?? [];
    }
  }

  return {
    name: `dynamodb:${table}`,
    async claim(key) {
      const at = now();
      const out = await calls.sendConditional("PutItem (claim)", (abortSignal) =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: { ...single("claim", key), ...expiry(at + options.retentionMs) },
            ConditionExpression: "attribute_not_exists(pk) OR #exp <= :now",
            ExpressionAttributeNames: { "#exp": "exp" },
            ExpressionAttributeValues: { ":now": { N: String(at) } },
          }),
          { abortSignal },
        ),
      );
      return out !== CONDITION_FAILED;
    },
    release: (key) => remove("claim", key),
    async recordRun(run, delivery) {
      const writes = runWrites(run, Date.parse(run.time) + options.retentionMs);
      if (delivery) writes.push(outboxWrite(delivery));
      await writeAll(writes);
    },
    getRun: (id) => getRun(calls, id, now()),
    listRuns: (query) => listRuns(calls, query, now()),
    async getState(key) {
      const value = (await getLive("state", key))?.value?.S;
      return value === undefined ? undefined : JSON.parse(value);
    },
    async putState(key, value, ttlMs) {
      await calls.send("PutItem (state)", (abortSignal) =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: { ...single("state", key), value: { S: JSON.stringify(value) }, ...expiry(now() + ttlMs) },
          }),
          { abortSignal },
        ),
      );
    },
    async lease(key, owner, ttlMs) {
      const at = now();
      const out = await calls.sendConditional("PutItem (lease)", (abortSignal) =>
        client.send(
          new PutItemCommand({
            TableName: table,
            Item: { ...single("lease", key), owner: { S: owner }, ...expiry(at + ttlMs) },
            ConditionExpression: "attribute_not_exists(pk) OR #exp <= :now OR #owner = :owner",
            ExpressionAttributeNames: { "#exp": "exp", "#owner": "owner" },
            ExpressionAttributeValues: { ":now": { N: String(at) }, ":owner": { S: owner } },
          }),
          { abortSignal },
        ),
      );
      return out !== CONDITION_FAILED;
    },
    async leaseHolder(key) {
      return (await getLive("lease", key))?.owner?.S;
    },
    async unlease(key, owner) {
      // Someone else's lease (taken after ours expired) stays.
      await calls.sendConditional("DeleteItem (lease)", (abortSignal) =>
        client.send(
          new DeleteItemCommand({
            TableName: table,
            Key: single("lease", key),
            ConditionExpression: "#owner = :owner",
            ExpressionAttributeNames: { "#owner": "owner" },
            ExpressionAttributeValues: { ":owner": { S: owner } },
          }),
          { abortSignal },
        ),
      );
    },
    outbox: dynamoDbOutbox(calls),
    async close() {
      client.destroy();
    },
  };
}
