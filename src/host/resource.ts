import { type Command, isReadOnly, renderCommand } from "../core/command.js";
import type { Logger } from "../core/logger.js";
import type { Runner, RunOptions, RunResult } from "../core/runner.js";
import type { HostOptions } from "./options.js";

/**
 * One step that changes the host. `diff` is what --check prints for it (file diff lines or the
 * command line that would run); `apply` does it. Actions of a resource run in order, and the
 * first that throws stops the run.
 */
export interface Action {
  readonly diff: readonly string[];
  apply(): Promise<void>;
}

/** What a resource found: nothing to do (no actions), or the actions that converge it. */
export interface Plan {
  /** One line: what is in place, or what will change. */
  readonly message: string;
  readonly actions: readonly Action[];
  /** Findings reported but deliberately not changed (another mountpoint, jail mechanism). */
  readonly notes?: readonly string[];
  /**
   * The change would overwrite something the administrator wrote: shown in --check, and a real
   * run stops here unless --force is given.
   */
  readonly refusal?: string;
  /** The command that fixes this resource, for doctor (default: micropod prepare-host). */
  readonly fix?: string;
}

/** The reported outcome of one resource (STYLE.md §4). */
export interface ResourceResult {
  readonly name: string;
  readonly changed: boolean;
  readonly diff: string;
  readonly message: string;
  readonly notes: readonly string[];
  readonly refusal?: string;
  readonly fix?: string;
}

/**
 * What a resource may use. `inspect` runs read-only commands only (planning); `runner` runs the
 * actions. In --check and doctor both refuse changing commands, so a bug cannot change the host.
 */
export interface HostContext {
  readonly inspect: Runner;
  readonly runner: Runner;
  readonly logger: Logger;
  readonly options: HostOptions;
}

export interface HostResource {
  readonly name: string;
  plan(ctx: HostContext): Promise<Plan>;
}

export const ok = (message: string, notes: readonly string[] = []): Plan => ({ message, actions: [], notes });

/** Run a changing command as an action. */
export function runAction(ctx: Pick<HostContext, "runner">, c: Command): Action {
  return { diff: [`$ ${renderCommand(c)}`], apply: async () => void (await ctx.runner.run(c)) };
}

/** A runner that executes read-only commands and refuses every other one. */
export class ReadOnlyRunner implements Runner {
  constructor(private readonly inner: Runner) {}
  run(c: Command, opts?: RunOptions): Promise<RunResult> {
    if (!isReadOnly(c)) return Promise.reject(new Error(`refusing to run a changing command while inspecting: ${renderCommand(c)}`));
    return this.inner.run(c, opts);
  }
}
