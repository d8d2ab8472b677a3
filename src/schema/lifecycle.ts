import { z } from "zod";

/** Extension on every handler: the hook's deadline. */
const timeoutSeconds = z.number().int().min(1).max(86_400);

/**
 * A port number, or an IANA service name looked up in the container's named ports. A name has a
 * letter (as Kubernetes' IANA_SVC_NAME): "8080" in quotes is a number pasted as text, which would
 * otherwise pass here and fail at run time as an unknown port name.
 */
export const PortSchema = z.union([
  z.number().int().min(1).max(65_535),
  z
    .string()
    .min(1)
    .max(15)
    .regex(
      /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/,
      "a port name is lowercase letters, digits and '-' (IANA_SVC_NAME)",
    )
    .refine((name) => /[A-Za-z]/.test(name), {
      error: (issue) =>
        `expected a number, or the name of a port: "${String(issue.input)}" is text; write ${String(issue.input)} without quotes`,
    }),
]);

/** The highest uid or gid a command can be given here: Node's spawn takes a signed 32-bit id. */
const MAX_ID = 2_147_483_647;

/** Docker's `user[:group]` (`docker exec -u`): names, or numeric ids a process can switch to. */
export const ExecUserSchema = z
  .string()
  .min(1)
  .superRefine((spec, ctx) => {
    const parts = spec.split(":");
    if (parts.length > 2 || parts.some((part) => part === "")) {
      ctx.addIssue({ code: "custom", message: `expected name, uid, name:group or uid:gid, got "${spec}"` });
      return;
    }
    for (const part of parts) {
      if (/^\d+$/.test(part) && Number(part) > MAX_ID) {
        ctx.addIssue({ code: "custom", message: `a uid or gid is at most ${MAX_ID}, got ${part}` });
      }
    }
  });

export const ExecActionSchema = z.strictObject({
  command: z.array(z.string()).min(1, "command needs at least one element (it is not run in a shell)"),
  user: ExecUserSchema.optional(),
  workingDir: z.string().min(1).optional(),
  env: z.record(z.string(), z.string()).optional(),
});

/** An HTTP header name: an RFC 9110 token. */
export const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Control characters but HTAB: Go's client (the kubelet's) refuses them in a header value at run
 * time, and Node's parser in a request's.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const BAD_HEADER_VALUE = /[\0-\x08\n-\x1f\x7f]/;

export const HttpHeaderSchema = z.strictObject({
  name: z.string().min(1).regex(HEADER_NAME, "not a valid HTTP header name"),
  value: z
    .string()
    .refine(
      (v) => !BAD_HEADER_VALUE.test(v),
      "a header value may not contain control characters (CR, LF, NUL…)",
    ),
});

/** What would end a host and start a path, query, fragment or user: never part of a host name or IP. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
export const NOT_IN_HOST = /[/?#\\@\s\x00-\x1f\x7f]/;

export const HttpGetActionSchema = z.strictObject({
  path: z.string().optional(),
  port: PortSchema,
  host: z
    .string()
    .min(1)
    .refine((h) => !NOT_IN_HOST.test(h), "a host name or IP address, without / ? # \\ @ or white space")
    .optional(),
  scheme: z.enum(["HTTP", "HTTPS"]).optional(),
  httpHeaders: z.array(HttpHeaderSchema).optional(),
});

export const SleepActionSchema = z.strictObject({
  seconds: z.number().int().min(0),
});

const HANDLER_KINDS = ["exec", "httpGet", "sleep"] as const;
export type HandlerKind = (typeof HANDLER_KINDS)[number];

export const LifecycleHandlerSchema = z
  .strictObject({
    exec: ExecActionSchema.optional(),
    httpGet: HttpGetActionSchema.optional(),
    sleep: SleepActionSchema.optional(),
    // Accepted by the parser only so that it can be refused with a clear message below.
    tcpSocket: z.unknown().optional(),
    timeoutSeconds: timeoutSeconds.optional(),
  })
  .superRefine((handler, ctx) => {
    if (handler.tcpSocket !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["tcpSocket"],
        message:
          "tcpSocket is not supported as a lifecycle handler (Kubernetes fails it at run time): use httpGet or exec",
      });
      return;
    }
    const kinds = HANDLER_KINDS.filter((k) => handler[k] !== undefined);
    if (kinds.length === 0) {
      ctx.addIssue({
        code: "custom",
        message: "a handler needs exactly one of exec, httpGet or sleep; it has none",
      });
    } else if (kinds.length > 1) {
      ctx.addIssue({
        code: "custom",
        message: `a handler needs exactly one of exec, httpGet or sleep; it has ${kinds.join(" and ")}`,
      });
    }
  });

export type LifecycleHandler = z.infer<typeof LifecycleHandlerSchema>;
export type ExecAction = z.infer<typeof ExecActionSchema>;
export type HttpGetAction = z.infer<typeof HttpGetActionSchema>;
export type SleepAction = z.infer<typeof SleepActionSchema>;

export const LifecycleSchema = z.strictObject({
  postStart: LifecycleHandlerSchema.optional(),
  preStop: LifecycleHandlerSchema.optional(),
});
export type Lifecycle = z.infer<typeof LifecycleSchema>;

export const PhaseSchema = z.enum(["postStart", "preStop"]);
export type Phase = z.infer<typeof PhaseSchema>;

/** The action of a validated handler, tagged by kind. */
export type HandlerAction =
  | { kind: "exec"; action: ExecAction }
  | { kind: "httpGet"; action: HttpGetAction }
  | { kind: "sleep"; action: SleepAction };

export function handlerAction(handler: LifecycleHandler): HandlerAction {
  if (handler.exec) return { kind: "exec", action: handler.exec };
  if (handler.httpGet) return { kind: "httpGet", action: handler.httpGet };
  if (handler.sleep) return { kind: "sleep", action: handler.sleep };
  // Unreachable for a handler that passed LifecycleHandlerSchema.
  throw new Error("handler has no exec, httpGet or sleep");
}

/** Named ports: the `hookd.ports` label and the `ports` field of the API. */
export const NamedPortsSchema = z.record(z.string().min(1), z.number().int().min(1).max(65_535));
export type NamedPorts = z.infer<typeof NamedPortsSchema>;
