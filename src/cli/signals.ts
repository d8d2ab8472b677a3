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
