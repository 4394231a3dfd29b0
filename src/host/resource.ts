import { type Command, isReadOnly, renderCommand } from "../core/command.js";
import { CommandFailedError, PrerequisiteError } from "../core/errors.js";
import type { Context } from "../core/context.js";
import type { Runner, RunOptions, RunResult } from "../core/runner.js";
import type { HostOptions } from "./options.js";

/**
 * One step that changes the host. `diff` is what --check prints for it (file diff lines or the
 * command line that would run); `apply` does it. Actions of a resource run in order, and the
 * first that throws stops the run.
 */
export interface HostStep {
  readonly diff: readonly string[];
  apply(): Promise<void>;
}

/** What a resource found: nothing to do (no actions), or the actions that converge it. */
export interface Plan {
  /** One line: what is in place, or what will change. */
  readonly message: string;
  readonly actions: readonly HostStep[];
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
  /** Check mode: why it could not be inspected here, the command that could not run, what it checks. */
  readonly notInspected?: { readonly reason: string; readonly command: string; readonly checks: string };
}

/**
 * What a resource may use. `inspect` runs read-only commands only (planning); `runner` runs the
 * actions. In --check and doctor both refuse changing commands, so a bug cannot change the host.
 */
export interface HostContext extends Pick<Context, "runner" | "logger"> {
  readonly inspect: Runner;
  readonly options: HostOptions;
}

export interface HostResource {
  readonly name: string;
  /** What it inspects on the host, in a few words: what --check reports when it cannot look. */
  checks(o: HostOptions): string;
  plan(ctx: HostContext): Promise<Plan>;
}

export const ok = (message: string, notes: readonly string[] = []): Plan => ({ message, actions: [], notes });

/** Run a changing command as an action. */
export function runAction(ctx: Pick<HostContext, "runner">, c: Command): HostStep {
  return { diff: [`$ ${renderCommand(c)}`], apply: async () => void (await ctx.runner.run(c)) };
}

/**
 * A resource could not be inspected here: the machine is not FreeBSD (its zfs, route, sysctl,
 * mount and service are another system's, or absent), or a tool is not installed yet (podman
 * before the packages step). `--check` reports it and goes on; a real run stops, as for any
 * missing prerequisite.
 */
export class NotInspectableError extends PrerequisiteError {
  constructor(
    readonly reason: string,
    readonly command: string,
    /** The program that is not installed, when that is the reason. */
    readonly missingTool?: string,
  ) {
    super(`could not inspect: ${reason} (\`${command}\` not run)`);
  }
}

/**
 * The runner resources inspect the host with: read-only commands only, and on a machine that is
 * not FreeBSD none at all (`foreign` names that system), since their answers would be about
 * something else. A program that is not installed is NotInspectableError too.
 */
export class HostInspector implements Runner {
  constructor(
    private readonly inner: Runner,
    private readonly foreign?: string,
  ) {}
  async run(c: Command, opts?: RunOptions): Promise<RunResult> {
    if (!isReadOnly(c)) throw new Error(`refusing to run a changing command while inspecting: ${renderCommand(c)}`);
    if (this.foreign) throw new NotInspectableError(`this is ${this.foreign}, not FreeBSD`, renderCommand(c));
    const r = await this.inner.run(c, { ...opts, allowFailure: true });
    if (r.notFound) throw new NotInspectableError(`${c.argv[0]} is not installed`, renderCommand(c), c.argv[0]);
    if (r.exitCode !== 0 && !opts?.allowFailure) throw new CommandFailedError(renderCommand(c), r);
    return r;
  }
}
