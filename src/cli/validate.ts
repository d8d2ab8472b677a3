import { readFile } from "node:fs/promises";
import { errorText, parseSpecText, validateLifecycle } from "../schema/labels.ts";
import { handlerAction } from "../schema/lifecycle.ts";
import { defineCommand, EXIT, UsageError } from "./command.ts";

/** UTF-8 (a BOM is dropped by the parsers), or UTF-16 by its BOM, as Windows editors save files. */
function decode(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString("utf16le");
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return Buffer.from(bytes.subarray(2)).swap16().toString("utf16le");
  return bytes.toString("utf8");
}

async function readInput(file: string): Promise<string> {
  if (file !== "-") return decode(await readFile(file));
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return decode(Buffer.concat(chunks));
}

/** The lines of one file (`NAME: valid (…)`, or each problem with its path); whether it is valid. */
async function checkFile(file: string): Promise<{ valid: boolean; lines: string[] }> {
  const name = file === "-" ? "(stdin)" : file;
  let text: string;
  try {
    text = await readInput(file);
  } catch (err) {
    return { valid: false, lines: [`${name}: cannot read: ${errorText(err)}`] };
  }
  const parsed = parseSpecText(text, "yaml-or-json");
  const result = parsed.ok ? validateLifecycle(parsed.value) : parsed;
  if (!result.ok)
    return { valid: false, lines: result.issues.map((i) => `${name}: ${i.path}: ${i.message}`) };
  const hooks = (["postStart", "preStop"] as const).flatMap((phase) => {
    const h = result.value[phase];
    return h ? [`${phase} ${handlerAction(h).kind}`] : [];
  });
  return { valid: true, lines: [`${name}: valid${hooks.length ? ` (${hooks.join(", ")})` : " (no hooks)"}`] };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** `hookd validate FILE…|-`: a line per file, then a summary; exit 1 when any is invalid. */
export const validateCommand = defineCommand({
  name: "validate",
  summary: "check Lifecycle specs (the hookd.lifecycle label's value), JSON or YAML",
  usage: "hookd validate FILE…|-",
  description:
    "Checks each FILE (- is standard input) as a Lifecycle spec, the value of the hookd.lifecycle\nlabel: one line per valid file, each problem of an invalid one with its path, then a summary.\nExits 1 when any file is invalid or cannot be read.",
  options: {},
  optionHelp: [],
  example: "hookd validate hooks/web.json hooks/worker.yaml",
  positionals: true,
  async run(_values, files) {
    if (files.length === 0) throw new UsageError("at least one FILE (or - for standard input) is needed");
    if (files.filter((f) => f === "-").length > 1)
      throw new UsageError("- (standard input) can be read once only");
    let invalid = 0;
    let problems = 0;
    for (const file of files) {
      const checked = await checkFile(file);
      for (const line of checked.lines) console.log(line);
      if (!checked.valid) {
        invalid += 1;
        problems += checked.lines.length;
      }
    }
    const valid = files.length - invalid;
    console.log(
      invalid === 0
        ? `${plural(files.length, "file")}: all valid`
        : `${plural(files.length, "file")}: ${valid} valid, ${invalid} invalid (${plural(problems, "problem")})`,
    );
    return invalid === 0 ? EXIT.done : EXIT.failed;
  },
});
