// A dynalite (DynamoDB on LevelDB, in memory) on a free loopback port, in its own process so
// that a test can kill it. Prints {"port":N} once listening. Run by test/support/dynalite.ts.
import dynalite from "dynalite";

const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
});
