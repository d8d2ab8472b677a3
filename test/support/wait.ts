/** Polls `check` until it holds (any truthy value), or fails after `timeoutMs` naming `what`. */
export async function until(
  what: string,
  check: () => unknown | Promise<unknown>,
  timeoutMs = 30_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
