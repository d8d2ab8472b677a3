/**
 * `npm run invoke:lambda -- FILE`: calls the Lambda entry's handler (src/entry/lambda.ts) here, in
 * Node, with the event in FILE (`-`: standard input), as the Lambda runtime would: an EventBridge
 * `ECS Task State Change` event, or a Function URL / API Gateway request. Settings come from the
 * environment (HOOKD_TOKEN, AWS_REGION, credentials, AWS_ENDPOINT_URL_ECS …). Standard output gets
 * hookd's JSON log lines, as CloudWatch would, then the handler's answer as the last line.
 * Exit 0 when the handler returned, 1 when it threw, 2 for a bad FILE.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Context } from "aws-lambda";

const USAGE = "usage: npm run invoke:lambda -- FILE   (a JSON event; - reads standard input)";

function readEvent(file: string | undefined): unknown {
  if (file === undefined || file === "--help" || file === "-h") {
    console.error(USAGE);
    process.exit(file === undefined ? 2 : 0);
  }
  let text: string;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (err) {
    console.error(`invoke:lambda: cannot read ${file}: ${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    console.error(`invoke:lambda: ${file} is not JSON: ${(err as Error).message}`);
    process.exit(2);
  }
}

/** What the handler may read of the context: names and a deadline, as Lambda gives them. */
function localContext(): Context {
  const deadline = Date.now() + 15 * 60_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: "hookd-local",
    functionVersion: "$LATEST",
    invokedFunctionArn: "arn:aws:lambda:local:000000000000:function:hookd-local",
    memoryLimitInMB: "512",
    awsRequestId: randomUUID(),
    logGroupName: "/aws/lambda/hookd-local",
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

const event = readEvent(process.argv[2]);
// Loaded after the event is read: the entry reads its settings from the environment as it loads.
const { handler } = await import("../src/entry/lambda.ts");
try {
  const answer = await handler(event as Parameters<typeof handler>[0], localContext());
  process.stdout.write(`${JSON.stringify(answer)}\n`);
} catch (err) {
  console.error(
    `invoke:lambda: the handler threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
  );
  process.exitCode = 1;
}
