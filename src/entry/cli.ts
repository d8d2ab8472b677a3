import { type Command, EXIT, wantsHelp } from "../cli/command.ts";
import { COMMANDS } from "../cli/commands.ts";
import { VERSION } from "../version.ts";

function overview(commands: readonly Command[] = COMMANDS): string {
  const list = commands.map((c) => `  ${c.usage}\n      ${c.summary}`).join("\n");
  return `hookd ${VERSION}: Kubernetes-style lifecycle hooks for ECS and Docker

usage: hookd COMMAND [OPTIONS]

${list}

  hookd COMMAND --help   a command's usage, options and an example
  hookd --version        the version

exit status: 0 done, 1 failed (a bad setting too), 2 bad usage (a wrong flag or value).
Settings are read from the environment (HOOKD_*, PORT): see the README's Settings.
`;
}

/** The command whose name's words begin `argv`, and how many words that is. */
function findCommand(argv: readonly string[]): { command: Command; words: number } | undefined {
  for (const command of COMMANDS) {
    const words = command.name.split(" ");
    if (words.every((w, i) => argv[i] === w)) return { command, words: words.length };
  }
  return undefined;
}

/** `hookd help [COMMAND…]`: the overview, or that command's help. */
function helpCommand(words: string[]): number {
  if (words.length === 0) {
    process.stdout.write(overview());
    return EXIT.done;
  }
  const found = findCommand(words);
  if (!found) {
    process.stderr.write(`hookd help: no command "${words.join(" ")}"\n\n${overview()}`);
    return EXIT.usage;
  }
  process.stdout.write(found.command.help());
  return EXIT.done;
}

/** A group of commands (`hookd docker`) without a known one of them. */
function groupUsage(first: string, rest: string[], group: Command[]): number {
  if (wantsHelp(rest.slice(0, 1))) {
    process.stdout.write(overview(group));
    return EXIT.done;
  }
  const sub = rest[0];
  const why = sub === undefined ? "a subcommand is needed" : `unknown subcommand "${sub}"`;
  process.stderr.write(`hookd ${first}: ${why}\n\n${overview(group)}`);
  return EXIT.usage;
}

export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    process.stderr.write(overview());
    return EXIT.usage;
  }
  if (first === "help" || first === "--help" || first === "-h") return helpCommand(rest);
  if (first === "--version" || first === "-V" || first === "version") {
    console.log(VERSION);
    return EXIT.done;
  }
  const found = findCommand(argv);
  if (found) return await found.command.invoke(argv.slice(found.words));
  const group = COMMANDS.filter((c) => c.name.startsWith(`${first} `));
  if (group.length > 0) return groupUsage(first, rest, group);
  const what = first.startsWith("-") ? `unknown option ${first}` : `unknown command "${first}"`;
  process.stderr.write(`hookd: ${what}\n\n${overview()}`);
  return EXIT.usage;
}
