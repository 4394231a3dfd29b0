import { type EngineDeps, startServices, stopServices } from "../engine/start.js";
import type { PlanVars } from "../engine/plan.js";
import type { Suite } from "../suite/model.js";
import type { OpsContext } from "./context.js";

/**
 * Operations hold the lock already, so they call the engine's lock-free use cases: the same
 * plan, labels and readiness as `micropod start` and `stop`, so the next start finds nothing to redo.
 */
export type EngineContext = Pick<OpsContext, "runner" | "clock" | "logger" | "signal" | "config" | "suite"> & Partial<Pick<OpsContext, "redactor">>;

function engineDeps(ctx: EngineContext): EngineDeps {
  return {
    runner: ctx.runner,
    clock: ctx.clock,
    logger: ctx.logger,
    signal: ctx.signal ?? new AbortController().signal,
    ...(ctx.redactor ? { redactor: ctx.redactor } : {}),
  };
}

/** The configuration the planner reads, with `override` on top (upgrade: the new MASTODON_VERSION). */
export function planVars(ctx: EngineContext, override: Readonly<Record<string, string>> = {}): PlanVars {
  return { vars: { ...ctx.config.vars, ...override }, ...(ctx.config.secretNames ? { secretNames: ctx.config.secretNames } : {}) };
}

/** Stop these services and whatever runs on them, dependents first; returns the services it stopped. */
export async function stopForOperation(ctx: EngineContext, services: readonly string[]): Promise<string[]> {
  const report = await stopServices(ctx.suite, engineDeps(ctx), { services });
  return report.stopped.map((s) => s.service);
}

/**
 * Start these services (and what they need) as they are, never recreated, and wait until each is
 * ready: what an operation stopped comes back as it ran; one already running is only waited on.
 */
export async function startAndWait(ctx: EngineContext, services: readonly string[]): Promise<void> {
  if (services.length === 0) return;
  await startServices(ctx.suite, planVars(ctx), ctx.config.paths, engineDeps(ctx), { services, wait: true, noRecreate: true });
}

/**
 * `micropod start` of these services from `suite` (build, recreate what changed), each waited on
 * until ready; with `noDeps`, without touching what they depend on (which must be up).
 */
export async function startFrom(ctx: EngineContext, suite: Suite, vars: PlanVars, services: readonly string[], opts: { buildOnly?: boolean; noDeps?: boolean } = {}): Promise<void> {
  await startServices(suite, vars, ctx.config.paths, engineDeps(ctx), {
    services,
    ...(opts.buildOnly ? { buildOnly: true } : { wait: true }),
    ...(opts.noDeps ? { noDeps: true } : {}),
  });
}
