import { handle } from "hono/aws-lambda";
import { createApp } from "../http/app.ts";
import { createNodeDeps } from "../platform/node/deps.ts";

// Lambda freezes the process after the answer: background work is awaited before returning.
const deps = createNodeDeps(process.env);
const app = createApp({
  ...deps,
  auth: { refuse: "HOOKD_TOKEN is not set: the Lambda function refuses /v1 until it is" },
});
const httpHandler = handle(app);

export const handler = async (
  event: Parameters<typeof httpHandler>[0],
  context: Parameters<typeof httpHandler>[1],
) => {
  const answer = await httpHandler(event, context);
  await deps.background.drain();
  return answer;
};
