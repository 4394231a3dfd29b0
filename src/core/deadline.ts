import { MicropodError } from "./errors.js";

/**
 * Settle with `work`, or reject when `ms` pass or `signal` aborts first, whichever comes first.
 * For work that takes no AbortSignal of its own (a library's network calls): it is abandoned,
 * not stopped, so the caller cleans up what it started (its late rejection is handled: the race
 * subscribed to it).
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, what: string, signal?: AbortSignal): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new MicropodError(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
    if (signal) {
      onAbort = () => reject(signal.reason);
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
}
