import { resolve } from "node:path";

/** The AWS sample events of test/fixtures/ecs (payloads carry 127.0.0.1 addresses; README there). */
export const ECS_FIXTURES = resolve(import.meta.dirname, "../fixtures/ecs");
