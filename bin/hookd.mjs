#!/usr/bin/env node
// The `hookd` command: loads the TypeScript CLI through tsx (Node 20 cannot strip types itself).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/entry/cli.ts");
process.exitCode = await main(process.argv.slice(2));
