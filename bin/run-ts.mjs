#!/usr/bin/env node
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
// Runs a TypeScript file with tsx's loader: Node 20 has no type stripping of its own.
import { register } from "tsx/esm/api";

register();
const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error("usage: run-ts FILE [ARGS…]");
  process.exit(2);
}
process.argv = [process.argv[0] ?? "node", resolve(file), ...rest];
await import(pathToFileURL(resolve(file)).href);
