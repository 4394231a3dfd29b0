import type { Context } from "../core/context.js";
import type { ProgressObserver } from "./progress.js";

/**
 * What the engine runs with: the base context's runner, clock, logger and signal (and its
 * redactor, for the command lines errors quote), plus where ocijail keeps its state (tests point
 * it elsewhere; default /var/run/ocijail) and who hears of each service's progress. An operation passes its own context as it is.
 */
export type EngineContext = Pick<Context, "runner" | "clock" | "logger" | "signal"> &
  Partial<Pick<Context, "redactor">> & {
    readonly ocijailStateDir?: string;
    /** Told each service's state changes (engine/progress.ts): the live view on a terminal. */
    readonly progress?: ProgressObserver;
  };

/** The engine's execution: its context plus how many builds (and pulls) run at once. */
export type ExecuteContext = EngineContext & { readonly jobs: number };
