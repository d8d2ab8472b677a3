import { z } from "zod";
import { LifecycleSchema } from "./lifecycle.ts";

type JsonObject = { [key: string]: unknown };

/**
 * The JSON Schema of a Lifecycle object, from the same zod source. What zod cannot say in JSON
 * Schema (exactly one handler kind, tcpSocket refused) is added here so editors flag it too.
 */
export function lifecycleJsonSchema(): JsonObject {
  const schema = z.toJSONSchema(LifecycleSchema, { io: "input", target: "draft-2020-12" }) as JsonObject;
  const props = schema.properties as Record<string, JsonObject> | undefined;
  for (const phase of ["postStart", "preStop"]) {
    const handler = props?.[phase];
    if (!handler) continue;
    const handlerProps = handler.properties as Record<string, unknown> | undefined;
    if (handlerProps) delete handlerProps.tcpSocket;
    handler.oneOf = [{ required: ["exec"] }, { required: ["httpGet"] }, { required: ["sleep"] }];
  }
  return {
    title: "hookd Lifecycle (the hookd.lifecycle label)",
    description:
      "Kubernetes Lifecycle object with hookd's extensions: exec.user/workingDir/env and timeoutSeconds.",
    ...schema,
  };
}
