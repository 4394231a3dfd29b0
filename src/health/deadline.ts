import { ExitCode, MicropodError } from "../core/errors.js";

/**
 * The hard bound of one health check, and the names of the steps under way when it passes, so the
 * log says which step overran. Every step gets an AbortSignal that the deadline, the CLI's
 * SIGINT/SIGTERM signal, a failed sibling step and the step's own timeout abort; each step's work
 * honours it (the Redis reader drops its connection, the runner kills podman, sleeps wake), so
 * nothing keeps running once the check has given up.
 */
export class DeadlineError extends MicropodError {
  constructor(
    readonly deadlineMs: number,
    readonly steps: readonly string[],
  ) {
    super(
      `health check stopped at its ${seconds(deadlineMs)} s deadline${steps.length ? ` while ${steps.join("; ")}` : ""}`,
      ExitCode.deadline,
      ["every step under way was stopped and the lock released; raise HEALTH_DEADLINE_SECONDS only if the suite is merely slow"],
    );
  }
}

/** A step's own bound ran out (the check's deadline had not). */
export class StepTimeoutError extends MicropodError {
  constructor(
    readonly step: string,
    readonly timeoutMs: number,
    hint = "",
  ) {
    super(`${step}: no answer within ${seconds(timeoutMs)} s${hint ? `: ${hint}` : ""}`, ExitCode.commandFailed);
  }
}

export interface StepOptions<T = unknown> {
  /** The step's own bound; past it the step is aborted with a StepTimeoutError. */
  readonly timeoutMs?: number;
  readonly timeoutHint?: string;
  /** One more reason to stop, e.g. a sibling step that failed. */
  readonly signal?: AbortSignal;
  /** Undo a result that arrived after the step was stopped (a lock taken just too late). */
  readonly discard?: (value: T) => Promise<unknown>;
}

export class CheckDeadline {
  private readonly controller = new AbortController();
  private readonly outer: Linked;
  private readonly underway = new Map<number, string>();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private endsAtMs: number;
  /** Aborted by the deadline (a DeadlineError) or by the signal given (its reason). */
  readonly signal: AbortSignal;

  constructor(
    readonly deadlineMs: number,
    outer?: AbortSignal,
  ) {
    this.outer = linked([this.controller.signal, ...(outer ? [outer] : [])]);
    this.signal = this.outer.signal;
    this.endsAtMs = Date.now() + deadlineMs;
    this.arm();
  }

  /**
   * Allow `ms` from now when that ends after the deadline. A restart already started must not be
   * cut in half (a killed `podman restart` leaves its container stopped), so it brings its own
   * bound, which setup has checked fits in the schedule's interval.
   */
  extend(ms: number): void {
    const end = Date.now() + ms;
    if (end <= this.endsAtMs || this.signal.aborted) return;
    this.endsAtMs = end;
    this.arm();
  }

  /** Run `fn` as a named step; it sees a signal that any reason to stop aborts. */
  async step<T>(name: string, opts: StepOptions<T>, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const own = new AbortController();
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => own.abort(new StepTimeoutError(name, opts.timeoutMs!, opts.timeoutHint)), opts.timeoutMs);
    const all = linked([this.signal, own.signal, ...(opts.signal ? [opts.signal] : [])]);
    const id = ++this.seq;
    this.underway.set(id, name);
    try {
      if (all.signal.aborted) throw all.signal.reason;
      const value = await fn(all.signal);
      if (all.signal.aborted) {
        await opts.discard?.(value);
        throw all.signal.reason;
      }
      return value;
    } catch (err) {
      // Whatever the aborted work threw on its way out (a closed connection, a killed process),
      // the reason it was stopped is what the caller needs to hear.
      throw all.signal.aborted ? all.signal.reason : err;
    } finally {
      clearTimeout(timer);
      all.dispose();
      this.underway.delete(id);
    }
  }

  /**
   * Run `fn` as a named step that is not stopped midway: it ends by its own bound. Only for work
   * that must not be cut in half (a restart); the caller checks the signal before starting it.
   */
  async unstoppable<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const id = ++this.seq;
    this.underway.set(id, name);
    try {
      return await fn();
    } finally {
      this.underway.delete(id);
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.outer.dispose();
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.controller.abort(new DeadlineError(this.deadlineMs, [...this.underway.values()])), Math.max(0, this.endsAtMs - Date.now()));
  }
}

interface Linked {
  readonly signal: AbortSignal;
  dispose(): void;
}

/**
 * A signal aborted with the first reason of any of `signals`. Unlike AbortSignal.any, the
 * listeners on a long-lived signal (the CLI's, for the whole of `health watch`) are removed when
 * the step is done, so nothing accumulates on it check after check.
 */
function linked(signals: readonly AbortSignal[]): Linked {
  const c = new AbortController();
  const first = signals.find((s) => s.aborted);
  if (first) {
    c.abort(first.reason);
    return { signal: c.signal, dispose: () => {} };
  }
  const listeners = signals.map((s) => {
    const onAbort = () => c.abort(s.reason);
    s.addEventListener("abort", onAbort, { once: true });
    return () => s.removeEventListener("abort", onAbort);
  });
  return { signal: c.signal, dispose: () => listeners.forEach((off) => off()) };
}

const seconds = (ms: number) => String(Math.round(ms / 100) / 10);
