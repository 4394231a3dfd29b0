/**
 * Run every cleanup step even when one fails, then throw: a podman storage that will not go
 * away must not leave a redis-server or a temp directory behind as well.
 */
export async function cleanUp(...steps: (() => unknown)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      failures.push(err);
    }
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, `${failures.length} cleanup steps failed: ${failures.map(String).join("; ")}`);
}

/**
 * What the current test file has created and must undo: temp directories, podman sandboxes,
 * servers. Helpers register their own undo step when they create something, so a test cannot
 * forget one; test/support/per-file.ts runs them after the file's own afterAll hooks, newest
 * first (a sandbox goes before the directory it lives in), each one even if another fails.
 */
const deferred: Array<{ readonly what: string; readonly step: () => unknown }> = [];

export function deferCleanup(what: string, step: () => unknown): void {
  deferred.push({ what, step });
}

export async function runDeferredCleanups(): Promise<void> {
  const steps = deferred.splice(0).reverse();
  await cleanUp(
    ...steps.map(({ what, step }) => async () => {
      try {
        await step();
      } catch (err) {
        throw new Error(`cleaning up ${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      }
    }),
  );
}

/** `fn` run at most once, every call after the first getting the first call's promise: a stop() both a test and the deferred cleanups may call. */
export function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}
