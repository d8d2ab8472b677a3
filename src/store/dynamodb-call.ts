import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { errorText } from "../schema/labels.ts";
import { awsErrorName, createTable } from "./dynamodb-table.ts";
import { StoreError } from "./port.ts";

/** What a conditional write answers when its condition did not hold. */
export const CONDITION_FAILED = Symbol("condition failed");

/**
 * Sends DynamoDB calls for one table, each within `timeoutMs` (the SDK's own retries included),
 * and turns every failure into a StoreError naming the table and the operation. The first call
 * to find the table missing creates it, then is sent again.
 */
export interface TableCalls {
  readonly table: string;
  readonly client: DynamoDBClient;
  send<T>(operation: string, call: (abortSignal: AbortSignal) => Promise<T>): Promise<T>;
  /** As send, but a failed condition is an answer (CONDITION_FAILED), not an error. */
  sendConditional<T>(
    operation: string,
    call: (abortSignal: AbortSignal) => Promise<T>,
  ): Promise<T | typeof CONDITION_FAILED>;
}

export function tableCalls(client: DynamoDBClient, table: string, timeoutMs: number): TableCalls {
  let creating: Promise<void> | undefined;
  const ensureTable = () => {
    // One creation per process at a time; a failed one is tried again by the next call.
    creating ??= createTable(client, table).catch((err: unknown) => {
      creating = undefined;
      throw err;
    });
    return creating;
  };
  const attempt = async <T>(call: (signal: AbortSignal) => Promise<T>): Promise<T> => {
    try {
      return await call(AbortSignal.timeout(timeoutMs));
    } catch (err) {
      if (awsErrorName(err) !== "ResourceNotFoundException") throw err;
      await ensureTable();
      return await call(AbortSignal.timeout(timeoutMs));
    }
  };
  const fail = (operation: string, err: unknown): StoreError => {
    if (err instanceof StoreError) return err;
    const name = awsErrorName(err);
    const why =
      name === "TimeoutError" || name === "AbortError"
        ? `no answer within ${timeoutMs / 1000} s`
        : errorText(err);
    return new StoreError(`dynamodb:${table}: ${operation} failed: ${why}`, { cause: err });
  };
  return {
    table,
    client,
    async send(operation, call) {
      try {
        return await attempt(call);
      } catch (err) {
        throw fail(operation, err);
      }
    },
    async sendConditional(operation, call) {
      try {
        return await attempt(call);
      } catch (err) {
        if (awsErrorName(err) === "ConditionalCheckFailedException") return CONDITION_FAILED;
        throw fail(operation, err);
      }
    },
  };
}
