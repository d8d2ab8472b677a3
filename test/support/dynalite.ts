import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";

export interface Dynalite {
  /** http://127.0.0.1:PORT, for AWS_ENDPOINT_URL_DYNAMODB. */
  endpoint: string;
  /** The environment that points the AWS SDK (ours, or a hookd process's) at it. */
  env: Record<string, string>;
  /** Ends it at once (SIGKILL), as a store that disappears. */
  kill(): Promise<void>;
}

const SERVER = new URL("./dynalite-server.ts", import.meta.url).pathname;

/** A dynalite in a child process on a free loopback port; killed by the caller. */
export async function startDynalite(): Promise<Dynalite> {
  const child: ChildProcess = spawn(process.execPath, [SERVER], { stdio: ["ignore", "pipe", "inherit"] });
  const stdout = child.stdout;
  if (!stdout) throw new Error("dynalite: no stdout");
  const lines = createInterface({ input: stdout });
  const first = await Promise.race([
    once(lines, "line").then(([line]) => String(line)),
    once(child, "exit").then(([code]) => {
      throw new Error(`dynalite exited with ${String(code)} before listening`);
    }),
  ]);
  const { port } = JSON.parse(first) as { port: number };
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    env: {
      AWS_ENDPOINT_URL_DYNAMODB: endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "dynalite",
      AWS_SECRET_ACCESS_KEY: "dynalite",
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    },
  };
}
