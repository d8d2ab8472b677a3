import { agentCommand } from "./agent.ts";
import type { Command } from "./command.ts";
import { dockerStopCommand, dockerWatchCommand } from "./docker.ts";
import { runsCommand } from "./runs.ts";
import { serveCommand } from "./serve.ts";
import { validateCommand } from "./validate.ts";

/**
 * Every `hookd` command, in the order `hookd --help` lists them. A new command is one
 * defineCommand() (src/cli/command.ts) and one line here; `hookd docker …` are two-word names.
 */
export const COMMANDS: readonly Command[] = [
  serveCommand,
  agentCommand,
  dockerWatchCommand,
  dockerStopCommand,
  validateCommand,
  runsCommand,
];
