import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, "../../scripts/test-docker.sh");

/**
 * Starts (or stops) a private Docker engine with scripts/test-docker.sh, in `dir` (default: the
 * script's own) — for the test setup, the engine-restart test and the benchmarks alike. `start`
 * returns its DOCKER_HOST, or throws with what the script said.
 */
export async function testDockerEngine(action: "start" | "stop", dir?: string): Promise<string> {
  const { stdout } = await run("bash", [SCRIPT, action], {
    // An engine in a directory of its own is that engine, whatever DOCKER_HOST says.
    env: { ...process.env, ...(dir !== undefined && { HOOKD_TEST_DOCKER_DIR: dir, DOCKER_HOST: "" }) },
    timeout: 120_000,
  });
  if (action === "stop") return "";
  const host = /DOCKER_HOST=(\S+)/.exec(stdout)?.[1];
  if (!host) throw new Error(`scripts/test-docker.sh printed no DOCKER_HOST: ${stdout}`);
  return host;
}
