/**
 * Run every cleanup step even when one fails, then throw the first failure: a podman storage
 * that will not go away must not leave a redis-server or a temp directory behind as well.
 */
export async function cleanUp(...steps: (() => unknown)[]): Promise<void> {
  let first: unknown;
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      first ??= err;
    }
  }
  if (first !== undefined) throw first;
}
