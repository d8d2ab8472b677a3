import { z } from "zod";
import { ExecUserSchema } from "../schema/lifecycle.ts";

/** Where the agent listens unless told otherwise (contract §4), and how many execs it runs at once. */
export const DEFAULT_AGENT_PORT = 9700;
export const DEFAULT_MAX_CONCURRENT = 64;

/** The exec request of contract §4, as the engine's exec client (src/engine/exec.ts) sends it. */
export const ExecRequestSchema = z.strictObject({
  /** Required in docker mode; local mode runs where the agent runs and ignores it. */
  containerId: z.string().min(1).optional(),
  command: z
    .array(z.string().regex(/^[^\0]*$/, "must not contain NUL"))
    .min(1, "expected at least the program to run")
    .refine((c) => c[0] !== "", "the program (command[0]) must not be empty"),
  timeoutMs: z.number().int().min(1).max(86_400_000).default(30_000),
  user: ExecUserSchema.optional(),
  workingDir: z.string().min(1).optional(),
  env: z
    .record(z.string().regex(/^[^=\0]+$/, "a variable name must be non-empty, without = or NUL"), z.string())
    .optional(),
});

export type ExecRequest = z.infer<typeof ExecRequestSchema>;

/** The answer of contract §4. `exitCode` is null where none came back (killed at the deadline). */
export interface ExecAnswer {
  exitCode: number | null;
  output: string;
  truncated: boolean;
  timedOut: boolean;
  durationMs: number;
}

export type ExecOutcome = Omit<ExecAnswer, "durationMs">;

/** Runs one exec request; `signal` aborts when the caller went away, which kills the process too. */
export interface Executor {
  readonly mode: "docker" | "local";
  run(request: ExecRequest, signal: AbortSignal): Promise<ExecOutcome>;
  close(): Promise<void>;
}

/** How long a killed process's output may take to drain before the agent answers anyway. */
export const KILL_DRAIN_MS = 2_000;
