/**
 * A reference point, not hookd: the least a Node relay can do — node:http in, one undici GET
 * out, the status back as JSON. No framework, no validation, no log. Measured in the same run
 * so that hookd's figures can be read against "a relay on this machine, right now".
 * Takes the same body as POST /v1/hooks/run (only httpGet.port/path and container.ip are read).
 * Prints `{"port":N}` on stderr; exits when its stdin closes.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, request } from "undici";

interface Body {
  handler: { httpGet: { port: number; path?: string } };
  container: { ip: string };
  timeoutSeconds?: number;
}

const agent = new Agent({ connections: null, keepAliveTimeout: 10_000 });

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", async () => {
    const started = Date.now();
    let status = 0;
    let message = "";
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Body;
      const { port, path = "/" } = body.handler.httpGet;
      const signal = AbortSignal.timeout((body.timeoutSeconds ?? 30) * 1000);
      const answer = await request(`http://${body.container.ip}:${port}${path}`, {
        dispatcher: agent,
        signal,
      });
      status = answer.statusCode;
      await answer.body.text();
    } catch (err) {
      message = String(err);
    }
    const out = JSON.stringify({
      outcome: status >= 200 && status < 400 ? "succeeded" : "failed",
      status,
      message,
      durationMs: Date.now() - started,
    });
    res.writeHead(200, { "content-type": "application/json" }).end(out);
  });
});
server.listen({ port: 0, host: "127.0.0.1", backlog: 8192 }, () => {
  process.stderr.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
