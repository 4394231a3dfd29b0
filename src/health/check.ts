import type { Clock } from "../core/clock.js";
import type { Command } from "../core/command.js";
import { LockError } from "../core/errors.js";
import { withLock } from "../core/lock.js";
import type { Logger } from "../core/logger.js";
import type { Runner } from "../core/runner.js";
import { listContainers, restartContainer } from "../podman/container.js";
import { type ContainerSummary, readContainerList } from "../podman/readers.js";
import type { AlertSink, HealthAlert } from "./alertmanager.js";
import { type HealthEvent, type HealthState, emptyRecord, loadHealthState, saveHealthState } from "./health-state.js";
import { type ContainerRuntime, type Decision, decide } from "./policy.js";
import type { SidekiqStateReader } from "./sidekiq-state.js";
import type { SidekiqTarget } from "./targets.js";
import type { HealthThresholds } from "./thresholds.js";
import { type ContainerVerdict, type UnservedQueue, judge } from "./verdict.js";

/**
 * One health check: take the shared lock (or skip while start/stop/upgrade holds it), read
 * Sidekiq's state and podman's containers, judge, decide, act, remember. Every decision is one
 * structured log line.
 */
export interface HealthCheckContext {
  readonly runner: Runner;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
}

export interface HealthCheckOptions {
  readonly targets: readonly SidekiqTarget[];
  readonly reader: SidekiqStateReader;
  /** REDIS_NAMESPACE (Mastodon 4.3). */
  readonly namespace?: string;
  readonly statePath: string;
  readonly lockPath: string;
  readonly thresholds: HealthThresholds;
  readonly alerts?: AlertSink;
  /** Extra environment for podman commands (tests point podman at a sandbox). */
  readonly podmanEnv?: Readonly<Record<string, string>>;
}

export interface CheckReport {
  /** Why nothing was checked (the lock was held), when so. */
  readonly skipped?: string;
  readonly verdicts: readonly ContainerVerdict[];
  readonly decisions: readonly Decision[];
  readonly unserved: readonly UnservedQueue[];
  readonly alerts: readonly HealthAlert[];
}

export async function runHealthCheck(ctx: HealthCheckContext, opts: HealthCheckOptions): Promise<CheckReport> {
  const { logger, clock } = ctx;
  const t = opts.thresholds;
  let locked = false;
  try {
    return await withLock(opts.lockPath, { verb: "health", waitMs: t.lockWaitMs, pollMs: Math.min(500, Math.max(50, t.lockWaitMs / 10)), clock, ...(ctx.signal ? { signal: ctx.signal } : {}) }, () => {
      locked = true;
      return checkLocked(ctx, opts);
    });
  } catch (err) {
    // Only a lock held by someone else skips the check; anything the check itself throws is an error.
    if (locked || !(err instanceof LockError)) throw err;
    logger.info({ event: "health.skip", reason: err.message }, `health check skipped: ${err.message}`);
    return { skipped: err.message, verdicts: [], decisions: [], unserved: [], alerts: [] };
  }
}

async function checkLocked(ctx: HealthCheckContext, opts: HealthCheckOptions): Promise<CheckReport> {
  const { logger, clock, runner } = ctx;
  const t = opts.thresholds;
  const queues = [...new Set(opts.targets.flatMap((x) => x.queues))];
  const [state, snapshot, containers] = await Promise.all([
    loadHealthState(opts.statePath),
    opts.reader.read({ ...(opts.namespace ? { namespace: opts.namespace } : {}), queues }),
    runner.run(withEnv(listContainers(), opts.podmanEnv)).then((r) => readContainerList(r.stdout)),
  ]);
  const now = clock.now();
  const memory = Object.fromEntries(Object.entries(state.containers).map(([k, v]) => [k, v.memory]));
  const { verdicts, unserved } = judge(snapshot, opts.targets, memory, t, now);

  const records = { ...state.containers };
  const events: HealthEvent[] = [];
  const alerts: HealthAlert[] = [];
  const decisions: Decision[] = [];
  const byName = new Map(containers.map((c) => [c.name, c]));

  for (const verdict of verdicts) {
    const target = opts.targets.find((x) => x.containerName === verdict.container)!;
    const { decision, record } = decide(verdict, records[verdict.container] ?? emptyRecord(), runtimeOf(byName.get(verdict.container)), target, t, now);
    records[verdict.container] = record;
    decisions.push(decision);
    const fields = { event: "health.decision", container: decision.container, status: verdict.status, reasons: verdict.reasons.map((r) => r.code), action: decision.action, failing: decision.failing, identity: verdict.identity, busy: verdict.busy, concurrency: verdict.concurrency };
    logger.info(fields, `${decision.container}: ${verdict.status}, ${decision.action}: ${decision.message}`);

    if (decision.action === "alert") {
      const name = decision.alert === "cap" ? "SidekiqRestartCapReached" : "SidekiqContainerNotRunning";
      alerts.push({ name, severity: "critical", container: decision.container, summary: `${decision.container}: ${name === "SidekiqRestartCapReached" ? "wedged, restart cap reached" : "not running"}`, description: decision.message });
      events.push({ atMs: now, kind: "alert", container: decision.container, message: decision.message });
    }
    if (decision.action === "restart") {
      const outcome = await restart(ctx, opts, verdict, decision);
      events.push({ atMs: clock.now(), kind: outcome.ok ? "restart" : "restart-failed", container: decision.container, message: outcome.message });
      alerts.push({
        name: outcome.ok ? "SidekiqRestarted" : "SidekiqRestartFailed",
        severity: outcome.ok ? "warning" : "critical",
        container: decision.container,
        summary: `${decision.container}: ${outcome.ok ? "restarted" : "restart failed"}`,
        description: outcome.message,
      });
    }
  }

  for (const q of unserved) {
    const message = `queue ${q.queue} holds ${q.size} jobs (oldest ${Math.round(q.latencyMs / 1000)} s) and no Sidekiq process serves it`;
    logger.warn({ event: "health.unserved", queue: q.queue, size: q.size, latencyMs: q.latencyMs }, message);
    alerts.push({ name: "SidekiqQueueUnserved", severity: "warning", queue: q.queue, summary: `queue ${q.queue} is not served`, description: message });
    events.push({ atMs: now, kind: "alert", message });
  }

  const next: HealthState = { version: 1, lastCheckAtMs: now, containers: records, events: [...state.events, ...events] };
  await saveHealthState(opts.statePath, next);
  if (opts.alerts && alerts.length) {
    await opts.alerts.send(alerts).catch((err: Error) => logger.warn({ event: "health.alert-failed", error: err.message }, `could not post alerts: ${err.message}`));
  }
  return { verdicts, decisions, unserved, alerts };
}

async function restart(ctx: HealthCheckContext, opts: HealthCheckOptions, verdict: ContainerVerdict, decision: Decision): Promise<{ ok: boolean; message: string }> {
  const { logger, runner, clock } = ctx;
  const reasons = verdict.reasons.map((r) => r.message).join("; ") || decision.message;
  if (decision.ttin && verdict.identity) {
    await opts.reader.pushSignal(verdict.identity, "TTIN", opts.namespace ? { namespace: opts.namespace } : {});
    logger.info({ event: "health.ttin", container: decision.container, identity: verdict.identity }, `${decision.container}: asked ${verdict.identity} for a thread dump (TTIN); it appears in the container's log`);
    await clock.sleep(opts.thresholds.ttinWaitMs, ctx.signal);
  }
  const cmd = withEnv(restartContainer(decision.container, decision.stopTimeoutSec), opts.podmanEnv);
  const r = await runner.run(cmd, { allowFailure: true });
  if (r.exitCode === 0) {
    const message = `restarted (stop timeout ${decision.stopTimeoutSec} s) because ${reasons}`;
    logger.warn({ event: "health.restart", container: decision.container, stopTimeoutSec: decision.stopTimeoutSec, reasons: verdict.reasons.map((x) => x.code) }, `${decision.container}: ${message}`);
    return { ok: true, message };
  }
  const message = `podman restart failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" ")}`;
  logger.error({ event: "health.restart-failed", container: decision.container, exitCode: r.exitCode }, `${decision.container}: ${message}`);
  return { ok: false, message };
}

function runtimeOf(c: ContainerSummary | undefined): ContainerRuntime {
  if (!c) return { exists: false, running: false };
  return { exists: true, running: c.state === "running", ...(c.startedAt !== undefined ? { startedAtMs: c.startedAt * 1000 } : {}) };
}

function withEnv(c: Command, env: Readonly<Record<string, string>> | undefined): Command {
  return env ? { ...c, env: { ...(c.env ?? {}), ...env } } : c;
}
