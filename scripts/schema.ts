// `npm run schema`: writes schema/lifecycle.schema.json from the zod source (test/core keeps it in sync).
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { lifecycleJsonSchema } from "../src/schema/json-schema.ts";

const out = resolve(import.meta.dirname, "../schema/lifecycle.schema.json");
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(lifecycleJsonSchema(), null, 2)}\n`);
console.log(`wrote ${out}`);
