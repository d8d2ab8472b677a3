/**
 * The benchmarks' HTTP target, run as its own process so that its CPU does not count against
 * hookd or the client. Listens on 127.0.0.1 and prints `{"port":N}` on stderr.
 *   /ok     answers 200 "ok" at once
 *   /slow   answers 200 "ok" after 1 s
 *   /never  never answers (the deadline benchmark)
 *   /stats  counts since the last /stats: requests, connections, spread of /slow arrivals,
 *           most /slow requests held at once
 * Exits when its stdin closes, so it cannot outlive the benchmark.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const SLOW_MS = 1000;
let connections = 0;
let requests = 0;
let slowInFlight = 0;
let maxSlowInFlight = 0;
let firstSlow = 0;
let lastSlow = 0;

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  requests++;
  if (req.url === "/ok") {
    res.writeHead(200, { "content-type": "text/plain", "content-length": "2" }).end("ok");
  } else if (req.url === "/slow") {
    const now = performance.now();
    if (firstSlow === 0) firstSlow = now;
    lastSlow = now;
    slowInFlight++;
    maxSlowInFlight = Math.max(maxSlowInFlight, slowInFlight);
    setTimeout(() => {
      slowInFlight--;
      res.writeHead(200, { "content-length": "2" }).end("ok");
    }, SLOW_MS);
  } else if (req.url === "/never") {
    // Holds the request open until the client gives up.
  } else if (req.url === "/stats") {
    const stats = {
      requests: requests - 1,
      connections,
      slowArrivalSpreadMs: Math.round(lastSlow - firstSlow),
      maxSlowInFlight,
    };
    maxSlowInFlight = 0;
    requests = 0;
    connections = 0;
    firstSlow = 0;
    lastSlow = 0;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(stats));
  } else {
    res.writeHead(404).end();
  }
});
server.on("connection", () => connections++);
// 5,000 connections arrive at once: a deep accept queue (capped by net.core.somaxconn).
server.listen({ port: 0, host: "127.0.0.1", backlog: 8192 }, () => {
  process.stderr.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
