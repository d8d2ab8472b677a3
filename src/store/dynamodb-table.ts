import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { errorText } from "../schema/labels.ts";
import { StoreError } from "./port.ts";

/** The TTL attribute (epoch seconds): DynamoDB deletes an item some time after it passes. */
export const TTL_ATTRIBUTE = "expiresAt";

/** The most a missing table may take to be created and become ACTIVE. */
const CREATE_DEADLINE_MS = 60_000;

/** The name of an SDK error (ConditionalCheckFailedException, ResourceNotFoundException…). */
export function awsErrorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

/** The status code of an SDK error's answer, if there was one. */
function httpStatus(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null || !("$metadata" in err)) return undefined;
  const meta = err.$metadata;
  if (typeof meta !== "object" || meta === null || !("httpStatusCode" in meta)) return undefined;
  return typeof meta.httpStatusCode === "number" ? meta.httpStatusCode : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates hookd's table: a string partition key `pk` and sort key `sk`, on-demand, TTL on
 * `expiresAt`. Another instance creating it at the same time is fine (ResourceInUseException);
 * a role without dynamodb:CreateTable gets a StoreError that says to create the table.
 */
export async function createTable(client: DynamoDBClient, table: string): Promise<void> {
  const deadline = AbortSignal.timeout(CREATE_DEADLINE_MS);
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
        BillingMode: "PAY_PER_REQUEST",
      }),
      { abortSignal: deadline },
    );
  } catch (err) {
    if (awsErrorName(err) !== "ResourceInUseException") {
      const denied = awsErrorName(err) === "AccessDeniedException" || httpStatus(err) === 403;
      throw new StoreError(
        denied
          ? `dynamodb:${table}: the table does not exist and this role may not create it: create it (pk S, sk S, TTL on ${TTL_ATTRIBUTE}; the CDK app does) or allow dynamodb:CreateTable`
          : `dynamodb:${table}: the table does not exist and CreateTable failed: ${errorText(err)}`,
        { cause: err },
      );
    }
  }
  await waitActive(client, table, deadline);
  await enableTtl(client, table, deadline);
}

async function waitActive(client: DynamoDBClient, table: string, deadline: AbortSignal): Promise<void> {
  for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
    let status: string | undefined;
    try {
      const out = await client.send(new DescribeTableCommand({ TableName: table }), {
        abortSignal: deadline,
      });
      status = out.Table?.TableStatus;
    } catch (err) {
      if (awsErrorName(err) !== "ResourceNotFoundException") {
        throw new StoreError(`dynamodb:${table}: waiting for the new table: ${errorText(err)}`, {
          cause: err,
        });
      }
    }
    if (status === "ACTIVE") return;
    if (deadline.aborted) {
      throw new StoreError(
        `dynamodb:${table}: the new table is not ACTIVE after ${CREATE_DEADLINE_MS / 1000} s`,
      );
    }
    await sleep(delay);
  }
}

/**
 * Turns TTL on. Local DynamoDBs (dynalite) do not know the operation and never expire items:
 * that is why every read also checks the expiry itself.
 */
async function enableTtl(client: DynamoDBClient, table: string, deadline: AbortSignal): Promise<void> {
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
      { abortSignal: deadline },
    );
  } catch (err) {
    const name = awsErrorName(err);
    if (name === "UnknownOperationException" || name === "ValidationException") return;
    throw new StoreError(`dynamodb:${table}: turning TTL on ${TTL_ATTRIBUTE} failed: ${errorText(err)}`, {
      cause: err,
    });
  }
}
