import { readFile } from "node:fs/promises";
import { errorText, parseSpecText, validateLifecycle } from "../schema/labels.ts";
import { handlerAction } from "../schema/lifecycle.ts";

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

/** `hookd validate FILE|-`: every problem with its path; exit 1 on any. */
export async function validateCommand(args: string[]): Promise<number> {
  const file = args[0];
  if (file === undefined || args.length > 1) {
    console.error("usage: hookd validate FILE|-   (a Lifecycle spec, JSON or YAML; - reads standard input)");
    return 2;
  }
  let text: string;
  try {
    text = await readInput(file);
  } catch (err) {
    console.error(`hookd validate: cannot read ${file}: ${errorText(err)}`);
    return 1;
  }
  const parsed = parseSpecText(text, "yaml-or-json");
  const result = parsed.ok ? validateLifecycle(parsed.value) : parsed;
  const name = file === "-" ? "(stdin)" : file;
  if (!result.ok) {
    for (const issue of result.issues) console.log(`${name}: ${issue.path}: ${issue.message}`);
    console.log(`${name}: ${result.issues.length} problem${result.issues.length === 1 ? "" : "s"}`);
    return 1;
  }
  const hooks = (["postStart", "preStop"] as const).flatMap((phase) => {
    const h = result.value[phase];
    return h ? [`${phase} ${handlerAction(h).kind}`] : [];
  });
  console.log(`${name}: valid${hooks.length ? ` (${hooks.join(", ")})` : " (no hooks)"}`);
  return 0;
}
