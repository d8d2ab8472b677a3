/**
 * hookd's Node service as the benchmarks run it: the same `startNodeServer` as `hookd serve`,
 * in its own process so that its RSS can be read from /proc, announcing its port as
 * `{"port":N}` on stderr. Result log lines go to stdout (the benchmark sends them to /dev/null).
 * Exits when its stdin closes, so it cannot outlive the benchmark.
 */
import { startNodeServer } from "../src/entry/node.ts";

const server = await startNodeServer({ port: 0, host: "127.0.0.1" });
const port = Number(new URL(server.url).port);
process.stderr.write(`${JSON.stringify({ port })}\n`);
process.stdin.on("end", () => {
  void server.close().then(() => process.exit(0));
});
process.stdin.resume();
