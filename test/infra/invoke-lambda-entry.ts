import { writeFileSync } from "node:fs";
import { handler } from "../../src/entry/lambda.ts";

// Used by examples.test.ts as a stand-in for `aws lambda invoke`: argv = payload JSON, output file.
const [payload = "", outfile = ""] = process.argv.slice(2);
const answer = await handler(JSON.parse(payload), {} as Parameters<typeof handler>[1]);
writeFileSync(outfile, JSON.stringify(answer));
