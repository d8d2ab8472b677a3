import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { errorText } from "../schema/labels.ts";
import { ConfigError } from "../schema/settings.ts";

/**
 * Exit statuses of every command (contract §5): done, failed to do the work (a bad setting
 * included: it is not a flag), bad usage (a wrong flag or value; the usage is printed).
 */
export const EXIT = { done: 0, failed: 1, usage: 2 } as const;

/** A wrong flag or value, found after parsing: the usage is printed and the exit status is 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

type Parsed<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>
>;

/** One command of the table (src/cli/commands.ts): its help, its options and what it does. */
export interface CommandSpec<O extends ParseArgsOptionsConfig> {
  /** The words after `hookd`: `serve`, `docker watch`. */
  name: string;
  /** One line for `hookd --help`. */
  summary: string;
  /** Its synopsis, from `hookd`: `hookd serve [--port 8787] [--host 127.0.0.1]`. */
  usage: string;
  /** What it does, a few lines for `--help`. */
  description: string;
  options: O;
  /** Each option as written (`--port N`) and what it does, in the order shown. */
  optionHelp: ReadonlyArray<readonly [string, string]>;
  example: string;
  /** Takes positional arguments (its usage says which). */
  positionals?: boolean;
  run(values: Parsed<O>["values"], positionals: string[]): Promise<number>;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  help(): string;
  /** Runs it with the arguments after its name; resolves to the exit status. */
  invoke(args: string[]): Promise<number>;
}

export function defineCommand<O extends ParseArgsOptionsConfig>(spec: CommandSpec<O>): Command {
  const help = (): string => helpText(spec);
  const usageError = (message: string): number => {
    process.stderr.write(
      `hookd ${spec.name}: ${message}\nusage: ${spec.usage}\n(hookd ${spec.name} --help for more)\n`,
    );
    return EXIT.usage;
  };
  return {
    name: spec.name,
    summary: spec.summary,
    usage: spec.usage,
    help,
    async invoke(args) {
      if (wantsHelp(args)) {
        process.stdout.write(help());
        return EXIT.done;
      }
      let parsed: Parsed<O>;
      try {
        parsed = parseArgs({
          args,
          options: spec.options,
          strict: true,
          allowPositionals: spec.positionals === true,
        });
      } catch (err) {
        return usageError(parseArgsProblem(err));
      }
      try {
        return await spec.run(parsed.values, parsed.positionals);
      } catch (err) {
        if (err instanceof UsageError) return usageError(err.message);
        // A bad setting is not a usage error: the command line was right, the environment was not.
        const text = err instanceof ConfigError ? err.message : errorText(err);
        process.stderr.write(`hookd ${spec.name}: ${text}\n`);
        return EXIT.failed;
      }
    },
  };
}

/** `--help` or `-h` before a `--` (after it, they are arguments). */
export function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  const flags = end === -1 ? args : args.slice(0, end);
  return flags.includes("--help") || flags.includes("-h");
}

function helpText<O extends ParseArgsOptionsConfig>(spec: CommandSpec<O>): string {
  const rows: Array<readonly [string, string]> = [
    ...spec.optionHelp,
    ["-h, --help", "print this help and exit"],
  ];
  const width = Math.max(...rows.map(([flag]) => flag.length));
  const options = rows.map(([flag, what]) => `  ${flag.padEnd(width)}  ${what}`).join("\n");
  return `usage: ${spec.usage}\n\n${spec.description}\n\noptions:\n${options}\n\nexample:\n  ${spec.example}\n`;
}

/** parseArgs' own message, without its hint about `--` (which reads as noise to a typo). */
function parseArgsProblem(err: unknown): string {
  const text = errorText(err);
  const unknown = /^Unknown option '([^']+)'/.exec(text)?.[1];
  if (unknown !== undefined) return `unknown option ${unknown}`;
  return text;
}

/** A whole-number flag (digits only: no sign, exponent, hex or blank) from `min` to `max`. */
export function wholeNumberFlag(
  flag: string,
  text: string,
  min: number,
  max: number,
  what = "a whole number",
): number {
  const n = Number(text);
  if (/^\d+$/.test(text) && n >= min && n <= max) return n;
  throw new UsageError(`${flag} must be ${what} from ${min} to ${max}, got ${JSON.stringify(text)}`);
}

/** A flag holding an http(s) URL: a typo here would fail every hook later. */
export function httpUrlFlag(flag: string, text: string): string {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url && (url.protocol === "http:" || url.protocol === "https:")) return text;
  throw new UsageError(`${flag} must be an http:// or https:// URL, got ${JSON.stringify(text)}`);
}
