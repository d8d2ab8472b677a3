import { resolve } from "node:path";

/** The AWS sample events of ../shared/fixtures/ecs (payloads carry 127.0.0.1 addresses). */
export const ECS_FIXTURES = resolve(import.meta.dirname, "../../../shared/fixtures/ecs");
