import { availableParallelism } from "node:os";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Clock } from "../core/clock.js";
import { withLock } from "../core/lock.js";
import { writeFileAtomic } from "../core/atomic-write.js";
import { InterruptedError } from "../core/errors.js";
import type { Suite } from "../suite/model.js";
import type { EngineContext } from "./context.js";
import { type StartReport, executeStart } from "./execute.js";
import { observePlaced, observePlacedContainers } from "./placement.js";
import { type PlanVars, type StartPlan, planStart } from "./plan.js";
import { StartRecorder, lastStartFile, writeStartRecord } from "./start-record.js";
import { type StopReport, executeStop, planStop } from "./stop.js";

export type { EngineContext } from "./context.js";

export interface EnginePaths {
  /** The shared lock file (config.paths.lock). */
  readonly lock: string;
  /** micropod's state dir: readiness as last checked goes to <state>/readiness.json, the last start's timeline to <state>/last-start.json. */
  readonly state: string;
  /** Build logs go here (config.paths.logs). */
  readonly logs: string;
}

/** Builds use CPU and disk: half the cores, at least one, at most four. */
export const defaultJobs = (): number => Math.max(1, Math.min(4, Math.floor(availableParallelism() / 2)));

export interface StartOptions {
  readonly services?: readonly string[];
  readonly jobs?: number;
  /** Only build images (micropod build): no networks, secrets or containers. */
  readonly buildOnly?: boolean;
}

export interface ServiceStartOptions extends StartOptions {
  /** Wait for every selected service with a healthcheck to be healthy (see PlanOptions.wait). */
  readonly wait?: boolean;
  /** Start existing containers as they are, never recreate them (see PlanOptions.noRecreate). */
  readonly noRecreate?: boolean;
  /** Only the services asked for, not their dependencies (see PlanOptions.noDeps). */
  readonly noDeps?: boolean;
}

/**
 * observe → plan → execute, for a caller that already holds the lock (`startSuite`, and the
 * operations: restore, upgrade, db query-stats). Readiness as last checked, and the start's
 * timeline (engine/start-record.ts), are recorded whatever happens.
 */
export async function startServices(
  suite: Suite,
  config: PlanVars,
  paths: Pick<EnginePaths, "state" | "logs">,
  ctx: EngineContext,
  opts: ServiceStartOptions = {},
): Promise<{ plan: StartPlan; report: StartReport }> {
  // One observer of the engine's progress events records the start's timeline (status --timeline);
  // its times count from here, so observing podman and planning show as the time before the first bar.
  const recorder = new StartRecorder(ctx.clock, ctx.progress);
  const observed = await observePlaced(ctx.runner, suite);
  let plan = planStart(suite, config, observed, {
    ...(opts.services ? { services: opts.services } : {}),
    logDir: paths.logs,
    ...(opts.wait ? { wait: true } : {}),
    ...(opts.noRecreate ? { noRecreate: true } : {}),
    ...(opts.noDeps ? { noDeps: true } : {}),
  });
  // A build touches no network, secret or container: their warnings would only confuse it.
  if (opts.buildOnly) plan = { ...plan, networks: [], secrets: [], pulls: [], containers: [], warnings: [] };
  for (const w of plan.warnings) ctx.logger.warn(w);
  const jobs = opts.jobs ?? defaultJobs();
  // A build alone is no start: neither readiness nor a timeline is recorded for it.
  if (opts.buildOnly) return { plan, report: await executeStart(plan, { ...ctx, jobs }) };
  let report: StartReport | undefined;
  let error: unknown;
  try {
    report = await executeStart(plan, { ...ctx, progress: recorder.observer, jobs });
    return { plan, report };
  } catch (e) {
    error = e;
    throw e;
  } finally {
    await recordReadiness(paths.state, plan, report, ctx.clock).catch(() => undefined);
    const outcome = report ? "ready" : error instanceof InterruptedError ? "interrupted" : "failed";
    await writeStartRecord(paths.state, recorder.record(plan, outcome, error, ctx.redactor)).catch((e: unknown) =>
      ctx.logger.warn(`could not record the start's timeline in ${lastStartFile(paths.state)}: ${e instanceof Error ? e.message : String(e)}`),
    );
  }
}

/** observe → plan the reverse walk → execute, for a caller that already holds the lock. */
export async function stopServices(suite: Suite, ctx: EngineContext, opts: { services?: readonly string[]; timeoutSec?: number } = {}): Promise<StopReport> {
  const plan = planStop(suite, await observePlacedContainers(ctx.runner, suite), opts);
  if (plan.steps.length === 0) ctx.logger.info("nothing is running");
  return executeStop(plan, ctx);
}

/** `micropod start` (and `build`): lock, then startServices; the lock is released whatever happens. */
export async function startSuite(
  suite: Suite,
  config: PlanVars,
  paths: EnginePaths,
  ctx: EngineContext,
  opts: ServiceStartOptions = {},
): Promise<{ plan: StartPlan; report: StartReport }> {
  return withLock(paths.lock, { verb: opts.buildOnly ? "build" : "start", clock: ctx.clock, signal: ctx.signal }, () => startServices(suite, config, paths, ctx, opts));
}

/** `micropod stop`: lock, then stopServices. */
export async function stopSuite(
  suite: Suite,
  paths: Pick<EnginePaths, "lock">,
  ctx: EngineContext,
  opts: { services?: readonly string[]; timeoutSec?: number } = {},
): Promise<StopReport> {
  return withLock(paths.lock, { verb: "stop", clock: ctx.clock, signal: ctx.signal }, () => stopServices(suite, ctx, opts));
}

/** What `status` shows as "health as last checked": written after every start, successful or not. */
export interface ReadinessRecord {
  readonly at: string;
  readonly services: Record<string, { readonly health: "healthy" | "completed" | "started" | "not ready"; readonly at: string }>;
}

export const readinessFile = (stateDir: string) => join(stateDir, "readiness.json");

/** Services this start did not touch keep their last record: a partial start (or an operation's) adds to it. */
async function recordReadiness(stateDir: string, plan: StartPlan, report: StartReport | undefined, clock: Clock): Promise<void> {
  const now = new Date(clock.now()).toISOString();
  const before: ReadinessRecord["services"] = await readFile(readinessFile(stateDir), "utf8").then((t) => (JSON.parse(t) as ReadinessRecord).services, () => ({}));
  const services: ReadinessRecord["services"] = { ...before };
  for (const c of plan.containers) {
    // Left alone and waited on by nothing: not checked now, so its last record stands.
    if (c.action === "leave" && c.readiness.conditions.length === 0 && before[c.service]) continue;
    const r = report?.ready[c.service] ?? {};
    const health = r.service_healthy !== undefined ? "healthy" : r.service_completed_successfully !== undefined ? "completed" : r.service_started !== undefined && !c.readiness.conditions.includes("service_healthy") ? "started" : "not ready";
    services[c.service] = { health, at: now };
  }
  await writeFileAtomic(readinessFile(stateDir), `${JSON.stringify({ at: now, services }, null, 2)}\n`, { mkdirs: true, mode: 0o644 });
}
