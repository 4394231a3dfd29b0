/** The few concurrency primitives the engine's walks are made of. */

/** A promise settled from outside: a service's condition, resolved when it holds. */
export class Deferred {
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (e: unknown) => void;
  /** True once resolved or rejected. */
  settled = false;
  constructor() {
    this.promise = new Promise<void>((res, rej) => {
      this.resolve = () => ((this.settled = true), res());
      this.reject = (e) => ((this.settled = true), rej(e));
    });
    this.promise.catch(() => undefined); // observed by whoever awaits it; never an unhandled rejection
  }
}

export type Limiter = <T>(fn: () => Promise<T>) => Promise<T>;

/** At most `n` at a time, the rest queued in the order they asked. */
export function limiter(n: number): Limiter {
  let active = 0;
  const queue: Array<() => void> = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= n) await new Promise<void>((res) => queue.push(res));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

/** `p`, or the signal's reason as soon as it aborts. */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    // Nobody awaits `p` any more; its later rejection (a dependency failing) is expected, not unhandled.
    p.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((res, rej) => {
    const onAbort = () => rej(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => (signal.removeEventListener("abort", onAbort), res(v)),
      (e) => (signal.removeEventListener("abort", onAbort), rej(e)),
    );
  });
}

/**
 * Runs `run(item)` for every item, each once, the moment every item named by `after(item)` has
 * finished (a failure there fails it too, without running it). Returns each item's promise by
 * key; `after` must name no cycle (the planners refuse one).
 */
export function afterEach<T>(items: readonly T[], key: (item: T) => string, after: (item: T) => readonly string[], run: (item: T) => Promise<void>): Map<string, Promise<void>> {
  const byKey = new Map(items.map((t) => [key(t), t]));
  const done = new Map<string, Promise<void>>();
  const start = (item: T): Promise<void> => {
    let p = done.get(key(item));
    if (!p) {
      p = Promise.all(after(item).map((k) => start(byKey.get(k)!))).then(() => run(item));
      done.set(key(item), p);
    }
    return p;
  };
  items.forEach(start);
  return done;
}

/**
 * Work something waits on now (the foreground) and work done ahead of need that yields to it:
 * `enter()` marks foreground work under way until the function it returns is called; `idle()`
 * resolves when none is. On a small host, podman calls made side by side slow each other (CPU,
 * and podman's storage and container locks), so what can wait does.
 */
export class ForegroundGate {
  private active = 0;
  private waiting: Array<() => void> = [];

  /** Foreground work begins; call what this returns once, when it ends. */
  enter(): () => void {
    this.active++;
    return () => {
      if (--this.active === 0) for (const wake of this.waiting.splice(0)) wake();
    };
  }

  idle(): Promise<void> {
    return this.active === 0 ? Promise.resolve() : new Promise((res) => this.waiting.push(res));
  }
}
