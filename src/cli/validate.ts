import { readFile } from "node:fs/promises";
import { errorText, parseSpecText, validateLifecycle } from "../spec/labels.ts";
import { handlerAction } from "../spec/lifecycle.ts";

async function readInput(file: string): Promise<string> {
  if (file !== "-") return readFile(file, "utf8");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
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
