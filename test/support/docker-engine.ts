import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const SCRIPT = resolve(import.meta.dirname, "../../scripts/test-docker.sh");

/** A Docker engine for the tests; `started` is set only when this call started it (its directory). */
export interface TestEngine {
  host: string;
  started?: string;
}

/**
 * A Docker engine from scripts/test-docker.sh, for the test setup, the engine-restart test and the
 * benchmarks alike: DOCKER_HOST as it is when it answers, else a private dockerd in `dir` (or in a
 * new temporary directory). With `ownerPid`, an engine started here stops once that process has
 * gone, even if nobody calls stopTestEngine. Throws with what the script said.
 */
export async function startTestEngine(
  options: { dir?: string; ownerPid?: number } = {},
): Promise<TestEngine> {
  const { stdout } = await run("bash", [SCRIPT, "start"], {
    env: {
      ...process.env,
      // An engine in a directory of its own is that engine, whatever DOCKER_HOST says.
      ...(options.dir !== undefined && { HOOKD_TEST_DOCKER_DIR: options.dir, DOCKER_HOST: "" }),
      ...(options.ownerPid !== undefined && { HOOKD_TEST_DOCKER_OWNER_PID: String(options.ownerPid) }),
    },
    timeout: 120_000,
  });
  const host = /^DOCKER_HOST=(\S+)$/m.exec(stdout)?.[1];
  if (!host) throw new Error(`scripts/test-docker.sh printed no DOCKER_HOST: ${stdout}`);
  const started = /^HOOKD_TEST_DOCKER_STARTED=(\S+)$/m.exec(stdout)?.[1];
  return { host, ...(started !== undefined && { started }) };
}

/** Stops an engine that startTestEngine started (`started`), and waits until it has exited. */
export async function stopTestEngine(started: string): Promise<void> {
  await run("bash", [SCRIPT, "stop", started], { timeout: 60_000 });
}
