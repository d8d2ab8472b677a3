/**
 * Waits for `work`, at most `ms`, and no longer than `signal` stays unaborted. Says which came
 * first; the timer is always cleared, so nothing lingers after the answer.
 */
export async function raceDeadline(
  work: Promise<unknown>,
  ms: number,
  signal?: AbortSignal,
): Promise<"done" | "deadline" | "aborted"> {
  if (signal?.aborted) return "aborted";
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const expiry = new Promise<"deadline" | "aborted">((resolve) => {
    timer = setTimeout(() => resolve("deadline"), Math.max(0, ms));
    onAbort = () => resolve("aborted");
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work.then(() => "done" as const), expiry]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
}
