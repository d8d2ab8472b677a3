/**
 * Waits for SIGTERM or SIGINT, says so on stderr (`<command>: SIGTERM: <doing>`), runs `stop`,
 * and resolves once it is done: how every long-running hookd command shuts down gracefully.
 */
export function untilStopSignal(command: string, doing: string, stop: () => unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      process.stderr.write(`${command}: ${signal}: ${doing}\n`);
      Promise.resolve()
        .then(stop)
        .then(() => resolve(), reject);
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
}

/**
 * After a shutdown, the exit status (contract §8: 0 all finished, 1 work abandoned) must not
 * wait on a handle something forgot to close (a socket, a timer): exit anyway a moment later.
 * The timer is unref'd, so a process with nothing left exits at once, as usual.
 */
export function exitSoon(code: number, mostMs = Number.POSITIVE_INFINITY): number {
  process.exitCode = code;
  // Work abandoned still holds its timers and sockets: nothing is gained by waiting on them.
  setTimeout(() => process.exit(code), Math.min(code === 0 ? 1_000 : 100, mostMs)).unref();
  return code;
}

/** `hookd serve: 2 hook runs still running …`: the one line a shutdown that gave up writes on stderr. */
export function abandonedNote(command: string, what: string, seconds: number): string {
  return `${command}: ${what} still running after HOOKD_SHUTDOWN_SECONDS=${seconds}: abandoned (each is in the log), exiting 1`;
}
