#!/usr/bin/env node
// The `hookd` command. Node 24 runs the TypeScript sources itself (type stripping); the compile
// cache keeps later starts from parsing them again.
import module from "node:module";

module.enableCompileCache?.();
const { main } = await import("../src/entry/cli.ts");
process.exitCode = await main(process.argv.slice(2));
