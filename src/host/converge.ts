import { ExitCode, MicropodError } from "../core/errors.js";
import { type HostContext, type HostResource, NotInspectableError, type ResourceResult } from "./resource.js";

export interface ConvergeReport {
  readonly check: boolean;
  readonly results: readonly ResourceResult[];
  /** Resources that changed (or, in check mode, would). */
  readonly changed: number;
  /** Check mode: resources that could not be inspected here (not FreeBSD, a tool missing). */
  readonly notInspected: number;
}

/** prepare-host stopped at a resource: already says where and what was applied, so it passes through as it is. */
export class PrepareHostStopped extends MicropodError {}

/**
 * Inspect → diff → apply, one resource after the other (later ones inspect what earlier ones
 * made). In check mode nothing is applied, and a resource that cannot be inspected here is
 * reported as such and the run goes on. A failing step stops the run; the error says what was
 * already applied, and a rerun skips it because its inspection then finds it in place.
 */
export async function converge(
  resources: readonly HostResource[],
  ctx: HostContext,
  opts: { check: boolean; onResult?: (r: ResourceResult) => void },
): Promise<ConvergeReport> {
  const results: ResourceResult[] = [];
  const stop = (name: string, message: string, exitCode: number, details: readonly string[]) => {
    const applied = results.filter((r) => r.changed).map((r) => r.name);
    const done = opts.check ? "nothing was applied (--check)" : applied.length ? `already applied: ${applied.join(", ")}` : "nothing was applied before this step";
    return new PrepareHostStopped(`prepare-host stopped at ${name}: ${message}`, exitCode as MicropodError["exitCode"], [
      ...details,
      done,
      ...(opts.check ? [] : ["fix the cause and run `micropod prepare-host` again: finished steps are found in place and skipped"]),
    ]);
  };
  for (const resource of resources) {
    let result: ResourceResult;
    try {
      const plan = await resource.plan(ctx);
      const diff = plan.actions.flatMap((a) => a.diff).join("\n");
      result = { name: resource.name, changed: plan.actions.length > 0, diff, message: plan.message, notes: plan.notes ?? [], refusal: plan.refusal, fix: plan.fix };
      if (!opts.check && result.changed) {
        if (plan.refusal) throw stop(resource.name, plan.refusal, ExitCode.prerequisite, [...result.notes, ...diff.split("\n")]);
        for (const action of plan.actions) await action.apply();
      }
    } catch (err) {
      if (opts.check && err instanceof NotInspectableError) {
        result = { name: resource.name, changed: false, diff: "", message: err.message, notes: [], notInspected: { reason: err.reason, command: err.command, checks: resource.checks(ctx.options) } };
        results.push(result);
        opts.onResult?.(result);
        continue;
      }
      if (err instanceof PrepareHostStopped) throw err;
      if (err instanceof MicropodError) throw stop(resource.name, err.message, err.exitCode, err.details);
      throw stop(resource.name, err instanceof Error ? err.message : String(err), ExitCode.failure, []);
    }
    results.push(result);
    opts.onResult?.(result);
  }
  return { check: opts.check, results, changed: results.filter((r) => r.changed).length, notInspected: results.filter((r) => r.notInspected).length };
}
