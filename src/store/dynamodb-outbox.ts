import {
  type AttributeValue,
  DeleteItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import { CONDITION_FAILED, type TableCalls } from "./dynamodb-call.ts";
import { TTL_ATTRIBUTE } from "./dynamodb-table.ts";
import type { Outbox, OutboxEntry } from "./port.ts";

/*
 * The outbox is one item collection, pk "outbox", sorted by run id (oldest first). It stays small:
 * an entry leaves once delivered or given up (24 h). Taking an entry is a conditional update of
 * its lease, so two instances never send the same entry at the same time.
 */
const OUTBOX = "outbox";
/** An entry nobody flushed is dropped by TTL well after deliveries stop (24 h). */
const KEEP_MS = 48 * 3_600_000;

export function outboxWrite(entry: OutboxEntry): WriteRequest {
  const expiresAtMs = entry.createdAt + KEEP_MS;
  return {
    PutRequest: {
      Item: {
        pk: { S: OUTBOX },
        sk: { S: entry.id },
        body: { S: entry.body },
        createdAt: { N: String(entry.createdAt) },
        dueAt: { N: String(entry.dueAt) },
        attempts: { N: String(entry.attempts) },
        leasedUntil: { N: "0" },
        [TTL_ATTRIBUTE]: { N: String(Math.ceil(expiresAtMs / 1000)) },
      },
    },
  };
}

function entryOf(item: Record<string, AttributeValue>): OutboxEntry {
  return {
    id: item.sk?.S ?? "",
    body: item.body?.S ?? "",
    createdAt: Number(item.createdAt?.N ?? 0),
    dueAt: Number(item.dueAt?.N ?? 0),
    attempts: Number(item.attempts?.N ?? 0),
  };
}

const key = (id: string) => ({ pk: { S: OUTBOX }, sk: { S: id } });

export function dynamoDbOutbox(calls: TableCalls): Outbox {
  const { client, table } = calls;

  /** Entries due and not leased at `now`, oldest first: candidates, each then taken by a lease. */
  async function candidates(now: number, limit: number): Promise<OutboxEntry[]> {
    const due: OutboxEntry[] = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const out = await calls.send("Query (outbox)", (abortSignal) =>
        client.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: "pk = :pk",
            FilterExpression: "dueAt <= :now AND leasedUntil <= :now",
            ExpressionAttributeValues: { ":pk": { S: OUTBOX }, ":now": { N: String(now) } },
            ConsistentRead: true,
            ...(start !== undefined && { ExclusiveStartKey: start }),
          }),
          { abortSignal },
        ),
      );
      for (const item of out.Items ?? []) due.push(entryOf(item));
      start = out.LastEvaluatedKey;
    } while (start !== undefined && due.length < limit);
    return due.slice(0, limit);
  }

  return {
    async takeDue(now, limit, leaseMs) {
      const taken: OutboxEntry[] = [];
      for (const entry of await candidates(now, limit)) {
        const out = await calls.sendConditional("UpdateItem (outbox lease)", (abortSignal) =>
          client.send(
            new UpdateItemCommand({
              TableName: table,
              Key: key(entry.id),
              UpdateExpression: "SET leasedUntil = :until",
              ConditionExpression: "attribute_exists(pk) AND dueAt <= :now AND leasedUntil <= :now",
              ExpressionAttributeValues: {
                ":now": { N: String(now) },
                ":until": { N: String(now + leaseMs) },
              },
              ReturnValues: "ALL_NEW",
            }),
            { abortSignal },
          ),
        );
        // Another instance took it between the read and the lease.
        if (out === CONDITION_FAILED || !out.Attributes) continue;
        taken.push(entryOf(out.Attributes));
      }
      return taken;
    },
    async remove(id) {
      await calls.send("DeleteItem (outbox)", (abortSignal) =>
        client.send(new DeleteItemCommand({ TableName: table, Key: key(id) }), { abortSignal }),
      );
    },
    async reschedule(id, dueAt, attempts) {
      // An entry removed meanwhile stays removed.
      await calls.sendConditional("UpdateItem (outbox reschedule)", (abortSignal) =>
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: key(id),
            UpdateExpression: "SET dueAt = :due, attempts = :attempts, leasedUntil = :zero",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeValues: {
              ":due": { N: String(dueAt) },
              ":attempts": { N: String(attempts) },
              ":zero": { N: "0" },
            },
          }),
          { abortSignal },
        ),
      );
    },
    async size() {
      let count = 0;
      let start: Record<string, AttributeValue> | undefined;
      do {
        const out = await calls.send("Query (outbox size)", (abortSignal) =>
          client.send(
            new QueryCommand({
              TableName: table,
              KeyConditionExpression: "pk = :pk",
              ExpressionAttributeValues: { ":pk": { S: OUTBOX } },
              Select: "COUNT",
              ...(start !== undefined && { ExclusiveStartKey: start }),
            }),
            { abortSignal },
          ),
        );
        count += out.Count ?? 0;
        start = out.LastEvaluatedKey;
      } while (start !== undefined);
      return count;
    },
  };
}
