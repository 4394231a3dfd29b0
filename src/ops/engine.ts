import type { EngineContext } from "../engine/context.js";
import type { PlanVars } from "../engine/plan.js";
import { startServices, stopServices } from "../engine/start.js";
import type { Suite } from "../suite/model.js";
import type { OpsContext } from "./context.js";

/**
 * Operations hold the lock already, so they call the engine's lock-free use cases: the same
 * plan, labels and readiness as `micropod start` and `stop`, so the next start finds nothing to redo.
 * They pass their own context: its signal is the CLI's, so Ctrl-C stops the engine in an operation
 * as it does in `micropod start`.
 */
export type OpsEngineContext = EngineContext & Pick<OpsContext, "config" | "suite">;

/** The configuration the planner reads, with `override` on top (upgrade: the new MASTODON_VERSION). */
export function planVars(ctx: Pick<OpsContext, "config">, override: Readonly<Record<string, string>> = {}): PlanVars {
  return { vars: { ...ctx.config.vars, ...override }, ...(ctx.config.secretNames ? { secretNames: ctx.config.secretNames } : {}) };
}

/** Stop these services and whatever runs on them, dependents first; returns the services it stopped. */
export async function stopForOperation(ctx: OpsEngineContext, services: readonly string[]): Promise<string[]> {
  const report = await stopServices(ctx.suite, ctx, { services });
  return report.stopped.map((s) => s.service);
}

/**
 * Start these services (and what they need) as they are, never recreated, and wait until each is
 * ready: what an operation stopped comes back as it ran; one already running is only waited on.
 */
export async function startAndWait(ctx: OpsEngineContext, services: readonly string[]): Promise<void> {
  if (services.length === 0) return;
  await startServices(ctx.suite, planVars(ctx), ctx.config.paths, ctx, { services, wait: true, noRecreate: true });
}

/**
 * `micropod start` of these services from `suite` (build, recreate what changed), each waited on
 * until ready; with `noDeps`, without touching what they depend on (which must be up).
 */
export async function startFrom(ctx: OpsEngineContext, suite: Suite, vars: PlanVars, services: readonly string[], opts: { buildOnly?: boolean; noDeps?: boolean } = {}): Promise<void> {
  await startServices(suite, vars, ctx.config.paths, ctx, {
    services,
    ...(opts.buildOnly ? { buildOnly: true } : { wait: true }),
    ...(opts.noDeps ? { noDeps: true } : {}),
  });
}
