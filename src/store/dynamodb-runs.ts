import {
  type AttributeValue,
  GetItemCommand,
  QueryCommand,
  type WriteRequest,
} from "@aws-sdk/client-dynamodb";
import { type Run, type RunQuery, RunSchema } from "../schema/run.ts";
import type { TableCalls } from "./dynamodb-call.ts";
import { TTL_ATTRIBUTE } from "./dynamodb-table.ts";
import { matchesQuery } from "./run-filter.ts";

/*
 * Runs live in item collections, one copy per way of listing them, each sorted by the run id
 * (a UUIDv7: sorting by id is sorting by time), so every listing is one Query read newest first:
 *   pk "runs"                        every run (GET /v1/runs/{id} is a GetItem here)
 *   pk "runs#container#<name>"       the runs of containers of that name
 *   pk "runs#task#<task ARN>"        the runs of one ECS task
 * Three writes per ECS run (two for Docker and API runs), no index and no Scan.
 */
const ALL = "runs";
const byContainer = (name: string) => `runs#container#${name}`;
const byTask = (arn: string) => `runs#task#${arn}`;

/** Longest one listing reads before it answers with what it found and a cursor to go on. */
const MAX_QUERY_PAGES = 10;

/** The run copies recordRun writes (in one BatchWriteItem with the outbox entry, if any). */
export function runWrites(run: Run, expiresAtMs: number): WriteRequest[] {
  const data = JSON.stringify(run);
  const item = (pk: string): WriteRequest => ({
    PutRequest: {
      Item: {
        pk: { S: pk },
        sk: { S: run.id },
        data: { S: data },
        exp: { N: String(expiresAtMs) },
        [TTL_ATTRIBUTE]: { N: String(Math.ceil(expiresAtMs / 1000)) },
      },
    },
  });
  const writes = [item(ALL), item(byContainer(run.container))];
  if (run.source.runtime === "ecs") writes.push(item(byTask(run.source.task)));
  return writes;
}

function liveRun(item: Record<string, AttributeValue> | undefined, now: number): Run | undefined {
  if (!item || Number(item.exp?.N ?? 0) <= now) return undefined;
  const data = item.data?.S;
  return data === undefined ? undefined : RunSchema.parse(JSON.parse(data));
}

export async function getRun(calls: TableCalls, id: string, now: number): Promise<Run | undefined> {
  const out = await calls.send("GetItem (run)", (abortSignal) =>
    calls.client.send(
      new GetItemCommand({
        TableName: calls.table,
        Key: { pk: { S: ALL }, sk: { S: id } },
        ConsistentRead: true,
      }),
      { abortSignal },
    ),
  );
  return liveRun(out.Item, now);
}

/**
 * The smallest id a run of time `ms` or later can have: a UUIDv7 starts with its 48-bit
 * millisecond timestamp in hex, as `tttttttt-tttt-`.
 */
export function idPrefixAt(ms: number): string {
  const hex = Math.max(0, Math.floor(ms)).toString(16).padStart(12, "0");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}`;
}

function keyCondition(
  query: RunQuery,
): { expression: string; values: Record<string, AttributeValue> } | null {
  const pk =
    query.task !== undefined
      ? byTask(query.task)
      : query.container !== undefined
        ? byContainer(query.container)
        : ALL;
  const values: Record<string, AttributeValue> = { ":pk": { S: pk } };
  const lower = query.since === undefined ? undefined : idPrefixAt(Date.parse(query.since));
  const upper = query.cursor;
  if (lower !== undefined && upper !== undefined) {
    if (lower > upper) return null;
    // BETWEEN includes the cursor itself, which the caller skips.
    return {
      expression: "pk = :pk AND sk BETWEEN :lower AND :upper",
      values: { ...values, ":lower": { S: lower }, ":upper": { S: upper } },
    };
  }
  if (lower !== undefined)
    return { expression: "pk = :pk AND sk >= :lower", values: { ...values, ":lower": { S: lower } } };
  if (upper !== undefined)
    return { expression: "pk = :pk AND sk < :upper", values: { ...values, ":upper": { S: upper } } };
  return { expression: "pk = :pk", values };
}

/**
 * Newest first from the collection that fits the query best (a task's, a container name's, or
 * all), the other filters applied here. A page holds `limit` runs; one more is looked for so that
 * `next` is null on the last page. A listing whose filters match little stops after a bounded
 * read and answers the runs found so far, with a cursor where it stopped.
 */
export async function listRuns(
  calls: TableCalls,
  query: RunQuery,
  now: number,
): Promise<{ runs: Run[]; next: string | null }> {
  const condition = keyCondition(query);
  if (condition === null) return { runs: [], next: null };
  // Only the key narrows the read: with more filters, read bigger pages to find a page's worth.
  const narrowedByKey =
    query.phase === undefined &&
    query.outcome === undefined &&
    (query.task === undefined || query.container === undefined);
  const found: Run[] = [];
  let start: Record<string, AttributeValue> | undefined;
  let lastRead: string | undefined;
  for (let page = 0; page < MAX_QUERY_PAGES; page++) {
    const out = await calls.send("Query (runs)", (abortSignal) =>
      calls.client.send(
        new QueryCommand({
          TableName: calls.table,
          KeyConditionExpression: condition.expression,
          ExpressionAttributeValues: condition.values,
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: narrowedByKey ? query.limit + 1 : 500,
          ...(start !== undefined && { ExclusiveStartKey: start }),
        }),
        { abortSignal },
      ),
    );
    for (const item of out.Items ?? []) {
      lastRead = item.sk?.S;
      if (lastRead === query.cursor) continue;
      const run = liveRun(item, now);
      if (!run || !matchesQuery(run, query)) continue;
      if (found.length === query.limit) return { runs: found, next: found[found.length - 1]?.id ?? null };
      found.push(run);
    }
    start = out.LastEvaluatedKey;
    if (start === undefined) return { runs: found, next: null };
  }
  // Read enough for one answer: go on from the last item read.
  return { runs: found, next: lastRead ?? null };
}
