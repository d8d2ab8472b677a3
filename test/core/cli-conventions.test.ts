import { describe, expect, it } from "vitest";
import { VERSION } from "../../src/version.ts";
import { runCli } from "../support/cli.ts";

/**
 * Every command of `hookd --help`, with a wrong value for one of its flags (contract §5: `--help`
 * answers 0; a wrong flag or value prints the usage and exits 2). A command added to the CLI
 * without a row here fails the first test.
 */
const COMMANDS: Array<{ name: string; badValue: string[]; says: RegExp }> = [
  {
    name: "serve",
    badValue: ["--port", "8o8o"],
    says: /--port must be a port number from 0 to 65535, got "8o8o"/,
  },
  { name: "agent", badValue: ["--mode", "ssh"], says: /--mode must be docker or local, got "ssh"/ },
  {
    name: "docker watch",
    badValue: ["--service", "localhost:8787"],
    says: /--service must be an http:\/\/ or https:\/\/ URL/,
  },
  {
    name: "docker stop",
    badValue: ["web", "-t", "soon"],
    says: /-t must be a whole number of seconds from 0/,
  },
  { name: "validate", badValue: [], says: /at least one FILE \(or - for standard input\) is needed/ },
  { name: "runs", badValue: ["--outcome", "maybe"], says: /--outcome: / },
];

describe("CLI conventions (contract §5)", { timeout: 120_000 }, () => {
  it("`hookd --help` lists every command, and exits 0", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    const listed = r.stdout
      .split("\n")
      .filter((l) => l.startsWith("  hookd ") && !/^ {2}hookd (COMMAND|--version)/.test(l));
    expect(listed).toHaveLength(COMMANDS.length);
    for (const { name } of COMMANDS) expect(listed.some((l) => l.startsWith(`  hookd ${name} `))).toBe(true);
    expect(r.stdout).toMatch(/exit status: 0 done, 1 failed \(a bad setting too\), 2 bad usage/);
  });

  for (const command of COMMANDS) {
    const words = command.name.split(" ");
    it(`hookd ${command.name}: --help, an unknown flag, a wrong value`, async () => {
      const [help, short, unknown, bad] = await Promise.all([
        runCli([...words, "--help"]),
        runCli([...words, "-h"]),
        runCli([...words, "--frobnicate"]),
        runCli([...words, ...command.badValue]),
      ]);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(new RegExp(`^usage: hookd ${command.name}\\b`));
      expect(help.stdout).toMatch(/\noptions:\n(.*\n)*\s+-h, --help\s+print this help and exit\n/);
      expect(help.stdout).toMatch(new RegExp(`\nexample:\n  [^\n]*hookd ${command.name} `));
      expect(help.stderr).toBe("");
      expect(short).toEqual(help);

      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain(
        `hookd ${command.name}: unknown option --frobnicate\nusage: hookd ${command.name}`,
      );
      expect(unknown.stdout).toBe("");

      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(command.says);
      expect(bad.stderr).toContain(`\nusage: hookd ${command.name}`);
    });
  }

  it("a group without its subcommand, an unknown command and help for a command", async () => {
    const [group, groupHelp, groupUnknown, unknown, none, helpFor, version] = await Promise.all([
      runCli(["docker"]),
      runCli(["docker", "--help"]),
      runCli(["docker", "restart"]),
      runCli(["frobnicate"]),
      runCli([]),
      runCli(["help", "docker", "stop"]),
      runCli(["--version"]),
    ]);
    expect(group.code).toBe(2);
    expect(group.stderr).toMatch(
      /hookd docker: a subcommand is needed\n.*hookd docker watch.*hookd docker stop/s,
    );
    expect(groupHelp.code).toBe(0);
    expect(groupHelp.stdout).toMatch(/hookd docker watch.*hookd docker stop/s);
    expect(groupHelp.stdout).not.toMatch(/hookd serve/);
    expect(groupUnknown.code).toBe(2);
    expect(groupUnknown.stderr).toMatch(/unknown subcommand "restart"/);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "frobnicate"/);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/usage: hookd COMMAND/);
    expect(helpFor.code).toBe(0);
    expect(helpFor.stdout).toMatch(/^usage: hookd docker stop CONTAINER/);
    expect(version.code).toBe(0);
    expect(version.stdout).toBe(`${VERSION}\n`);
  });

  it("`--help` after `--` is an argument, not a request for help", async () => {
    const r = await runCli(["validate", "--", "--help"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^--help: cannot read: ENOENT/);
  });
});
