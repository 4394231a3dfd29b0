import type { Command } from "../core/command.js";
import type { Context } from "../core/context.js";
import { InterruptedError, LockError } from "../core/errors.js";
import { type HeldLock, acquireLock, lockHolder } from "../core/lock.js";
import { onConnection } from "../podman/connection.js";
import { listContainers, restartContainer } from "../podman/container.js";
import { type ContainerSummary, readContainerList } from "../podman/readers.js";
import type { AlertSink, HealthAlert } from "./alertmanager.js";
import { CheckDeadline, DeadlineError } from "./deadline.js";
import { type ContainerRecord, type HealthEvent, type HealthState, addTotals, emptyRecord, loadHealthState, saveHealthState } from "./health-state.js";
import { CHECK_METRICS_FILE, type CheckOutcome, type MetricsTarget, SIDEKIQ_METRICS_FILE, renderCheckMetrics, renderSidekiqMetrics, writeMetricsFile } from "./metrics.js";
import { type ContainerRuntime, type Decision, decide } from "./policy.js";
import { RedisUnavailableError } from "./redis-failure.js";
import { type SidekiqSnapshot, type SidekiqStateReader, queueLatencyMs } from "./sidekiq-state.js";
import type { SidekiqTarget } from "./targets.js";
import { type HealthThresholds, restartBoundMs, restartCommandBoundMs } from "./thresholds.js";
import { type ContainerVerdict, type UnservedQueue, judge } from "./verdict.js";

/**
 * One health check: take the shared lock (or skip while start/stop/upgrade holds it), read
 * Sidekiq's state and podman's containers, judge, decide, act, remember, report. The whole check
 * runs under a hard deadline (deadline.ts): past it every step under way is stopped, the lock is
 * released and the check fails with a DeadlineError naming the steps. Every decision is one
 * structured log line; every check, whatever its outcome, writes its metrics.
 */
export type HealthCheckContext = Pick<Context, "runner" | "logger" | "clock" | "signal">;

export interface HealthCheckOptions {
  readonly targets: readonly SidekiqTarget[];
  readonly reader: SidekiqStateReader;
  /** REDIS_NAMESPACE (Mastodon 4.3). */
  readonly namespace?: string;
  readonly statePath: string;
  readonly lockPath: string;
  readonly thresholds: HealthThresholds;
  readonly alerts?: AlertSink;
  /** Where the results go in Prometheus' text format; without it, nowhere. */
  readonly metrics?: MetricsTarget;
  /** Extra environment for podman commands (tests point podman at a sandbox). */
  readonly podmanEnv?: Readonly<Record<string, string>>;
}

export interface CheckReport {
  /** Why nothing was checked (the lock was held), when so. */
  readonly skipped?: string;
  /** How long the holder of the lock had held it, when skipped. */
  readonly lockHeldMs?: number;
  readonly verdicts: readonly ContainerVerdict[];
  readonly decisions: readonly Decision[];
  readonly unserved: readonly UnservedQueue[];
  readonly alerts: readonly HealthAlert[];
}

export async function runHealthCheck(ctx: HealthCheckContext, opts: HealthCheckOptions): Promise<CheckReport> {
  const { logger, clock } = ctx;
  const startedAt = clock.now();
  const deadline = new CheckDeadline(opts.thresholds.deadlineMs, ctx.signal);
  let outcome: CheckOutcome = "failed";
  let lockHeldMs = 0;
  try {
    const lock = await takeLock(ctx, opts, deadline);
    if (!("release" in lock)) {
      outcome = "skipped";
      lockHeldMs = lock.lockHeldMs ?? 0;
      return lock;
    }
    try {
      const report = await checkLocked(ctx, opts, deadline);
      outcome = "ok";
      return report;
    } finally {
      await lock.release();
    }
  } catch (err) {
    outcome = err instanceof RedisUnavailableError ? "redis_unavailable" : err instanceof DeadlineError ? "deadline" : err instanceof InterruptedError ? "interrupted" : "failed";
    if (err instanceof DeadlineError) logger.error({ event: "health.deadline", deadlineMs: err.deadlineMs, steps: err.steps }, err.message);
    throw err;
  } finally {
    deadline.dispose();
    await writeCheckMetrics(ctx, opts, { outcome, atMs: startedAt, durationMs: clock.now() - startedAt, lockHeldMs });
  }
}

/** The lock, or the report of a skipped check: a held lock is not a failure, nor a pass. */
async function takeLock(ctx: HealthCheckContext, opts: HealthCheckOptions, deadline: CheckDeadline): Promise<HeldLock | CheckReport> {
  const t = opts.thresholds;
  // A held lock must end in a skip, not in the deadline: the wait takes at most half of it.
  const waitMs = Math.min(t.lockWaitMs, t.deadlineMs / 2);
  const pollMs = Math.min(500, Math.max(50, waitMs / 10));
  try {
    return await deadline.step<HeldLock>("waiting for the shared lock", { discard: (lock) => lock.release() }, (signal) =>
      acquireLock(opts.lockPath, { verb: "health", waitMs, pollMs, clock: ctx.clock, signal }),
    );
  } catch (err) {
    if (!(err instanceof LockError)) throw err;
    // The lock file's `since` is wall-clock time, so this compares with the wall clock.
    const holder = await lockHolder(opts.lockPath);
    const lockHeldMs = holder ? Math.max(0, Date.now() - Date.parse(holder.since)) : 0;
    ctx.logger.warn({ event: "health.skip", reason: err.message, lockHeldMs }, `health check skipped: ${err.message}`);
    const alerts: HealthAlert[] = [];
    if (holder && lockHeldMs >= t.skipAlertMs) {
      // Checks skipped for this long mean a start, stop or upgrade is stuck, and nobody watches Sidekiq meanwhile.
      const held = `${Math.round(lockHeldMs / 60_000)} min`;
      alerts.push({
        name: "MicropodHealthSkipped",
        severity: "warning",
        summary: `health checks skipped for ${held}: the lock is held by ${holder.verb}`,
        description: `${err.message}. Sidekiq is not being watched while ${holder.verb} (pid ${holder.pid}) holds the lock; it has for ${held}.`,
      });
    }
    await postAlerts(ctx, opts, deadline, alerts);
    return { skipped: err.message, lockHeldMs, verdicts: [], decisions: [], unserved: [], alerts };
  }
}

async function checkLocked(ctx: HealthCheckContext, opts: HealthCheckOptions, deadline: CheckDeadline): Promise<CheckReport> {
  const { logger, clock } = ctx;
  const t = opts.thresholds;
  const state = await loadHealthState(opts.statePath);
  let snapshot: SidekiqSnapshot;
  let containers: ContainerSummary[];
  try {
    [snapshot, containers] = await readSuite(ctx, opts, deadline);
  } catch (err) {
    if (err instanceof RedisUnavailableError) await recordRedisDown(ctx, opts, deadline, state, err);
    throw err;
  }
  const now = clock.now();
  const memory = Object.fromEntries(Object.entries(state.containers).map(([k, v]) => [k, v.memory]));
  const { verdicts, unserved } = judge(snapshot, opts.targets, memory, t, now);

  const records: Record<string, ContainerRecord> = { ...state.containers };
  const events: HealthEvent[] = [];
  const alerts: HealthAlert[] = [];
  const decisions: Decision[] = [];
  const restarts: { verdict: ContainerVerdict; decision: Decision; target: SidekiqTarget }[] = [];
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
    if (decision.action === "restart") restarts.push({ verdict, decision, target });
  }

  // Restarts run side by side, each within its own bound, which the deadline makes room for.
  if (restarts.length) deadline.extend(Math.max(...restarts.map((r) => restartBoundMs(r.target, t))));
  const outcomes = await Promise.allSettled(restarts.map((r) => restart(ctx, opts, deadline, r.verdict, r.decision)));
  const restarted: { container: string; ok: boolean }[] = [];
  let stopped: unknown;
  outcomes.forEach((o, i) => {
    const container = restarts[i]!.decision.container;
    if (o.status === "rejected") {
      // Stopped before podman ran: nothing was restarted, so nothing is recorded as if it had been.
      records[container] = state.containers[container] ?? emptyRecord();
      stopped ??= o.reason;
      return;
    }
    restarted.push({ container, ok: o.value.ok });
    events.push({ atMs: clock.now(), kind: o.value.ok ? "restart" : "restart-failed", container, message: o.value.message });
    alerts.push({
      name: o.value.ok ? "SidekiqRestarted" : "SidekiqRestartFailed",
      severity: o.value.ok ? "warning" : "critical",
      container,
      summary: `${container}: ${o.value.ok ? "restarted" : "restart failed"}`,
      description: o.value.message,
    });
  });

  for (const q of unserved) {
    const message = `queue ${q.queue} holds ${q.size} jobs (oldest ${Math.round(q.latencyMs / 1000)} s) and no Sidekiq process serves it`;
    logger.warn({ event: "health.unserved", queue: q.queue, size: q.size, latencyMs: q.latencyMs }, message);
    alerts.push({ name: "SidekiqQueueUnserved", severity: "warning", queue: q.queue, summary: `queue ${q.queue} is not served`, description: message });
    events.push({ atMs: now, kind: "alert", message });
  }

  const { redis: _readAgain, ...rest } = state;
  const next: HealthState = {
    ...rest,
    lastCheckAtMs: now,
    containers: records,
    events: [...state.events, ...events],
    totals: addTotals(state.totals, restarted, alerts.map((a) => a.name)),
  };
  await saveHealthState(opts.statePath, next);
  await writeSidekiqMetrics(ctx, opts, {
    atMs: now,
    verdicts,
    queues: snapshot.queues.map((q) => ({ name: q.name, size: q.size, latencyMs: queueLatencyMs(q, now) })),
  });
  if (stopped !== undefined) throw stopped;
  await postAlerts(ctx, opts, deadline, alerts);
  return { verdicts, decisions, unserved, alerts };
}

/** Redis and podman side by side; the first to fail stops the other, so nothing outlives the check. */
async function readSuite(ctx: HealthCheckContext, opts: HealthCheckOptions, deadline: CheckDeadline): Promise<[SidekiqSnapshot, ContainerSummary[]]> {
  const t = opts.thresholds;
  const siblings = new AbortController();
  const stopSiblings = (err: unknown): never => {
    siblings.abort(err);
    throw err;
  };
  const queues = [...new Set(opts.targets.flatMap((x) => x.queues))];
  const [snapshot, containers] = await Promise.allSettled([
    deadline
      .step(`reading Sidekiq's state from Redis at ${opts.reader.where}`, { signal: siblings.signal }, (signal) =>
        opts.reader.read({ ...namespaced(opts), queues, signal, timeoutMs: t.redisTimeoutMs }),
      )
      .catch(stopSiblings),
    deadline
      .step("listing the containers (podman ps)", { signal: siblings.signal, timeoutMs: t.podmanTimeoutMs, timeoutHint: "is another podman command hung? (ps ax | grep podman)" }, (signal) =>
        // Each host's podman, for a suite placed on several (suite/placement.ts).
        Promise.all(
          [...new Set(opts.targets.map((x) => x.url))].map((url) =>
            ctx.runner.run(onConnection(withEnv(listContainers(), opts.podmanEnv), url), { signal }).then((r) => readContainerList(r.stdout)),
          ),
        ).then((lists) => lists.flat()),
      )
      .catch(stopSiblings),
  ]);
  if (snapshot.status === "rejected") throw snapshot.reason;
  if (containers.status === "rejected") throw containers.reason;
  return [snapshot.value, containers.value];
}

/**
 * Redis could not be read: the workers cannot be seen, so nothing is restarted. Consecutive
 * failures are counted in the state file; from `failingSamples` on, each check alerts.
 */
async function recordRedisDown(ctx: HealthCheckContext, opts: HealthCheckOptions, deadline: CheckDeadline, state: HealthState, err: RedisUnavailableError): Promise<void> {
  const now = ctx.clock.now();
  const t = opts.thresholds;
  const failing = (state.redis?.failing ?? 0) + 1;
  const sinceMs = state.redis?.sinceMs ?? now;
  ctx.logger.error({ event: "health.redis-unavailable", kind: err.kind, failing }, `${err.message} (check ${failing} in a row; alerting from ${t.failingSamples})`);
  const alerts: HealthAlert[] = [];
  if (failing >= t.failingSamples) {
    alerts.push({
      name: "SidekiqRedisUnavailable",
      severity: "critical",
      summary: `Sidekiq's state cannot be read from Redis at ${opts.reader.where}`,
      description: `${err.message} (${failing} checks in a row since ${new Date(sinceMs).toISOString()}); nothing was restarted: without Redis the check cannot see the workers`,
    });
  }
  await saveHealthState(opts.statePath, {
    ...state,
    lastCheckAtMs: now,
    redis: { failing, sinceMs, lastError: err.message },
    events: [...state.events, ...alerts.map((a) => ({ atMs: now, kind: "alert" as const, message: a.description }))],
    totals: addTotals(state.totals, [], alerts.map((a) => a.name)),
  });
  // What was known of the processes is no longer current: no sample passes for one.
  await writeMetricsText(ctx, opts, SIDEKIQ_METRICS_FILE, "");
  await postAlerts(ctx, opts, deadline, alerts);
}

async function restart(ctx: HealthCheckContext, opts: HealthCheckOptions, deadline: CheckDeadline, verdict: ContainerVerdict, decision: Decision): Promise<{ ok: boolean; message: string }> {
  const { logger, runner, clock } = ctx;
  const t = opts.thresholds;
  const reasons = verdict.reasons.map((r) => r.message).join("; ") || decision.message;
  const identity = verdict.identity;
  if (decision.ttin && identity) {
    try {
      await deadline.step(`asking ${identity} for a thread dump (TTIN)`, {}, (signal) =>
        opts.reader.pushSignal(identity, "TTIN", { ...namespaced(opts), signal, timeoutMs: t.redisTimeoutMs }),
      );
      logger.info({ event: "health.ttin", container: decision.container, identity }, `${decision.container}: asked ${identity} for a thread dump (TTIN); it appears in the container's log`);
      await deadline.step(`waiting for ${decision.container}'s thread dump`, {}, (signal) => clock.sleep(t.ttinWaitMs, signal));
    } catch (err) {
      // The dump is a courtesy; the restart is the point. Only a reason to stop stops it.
      if (deadline.signal.aborted) throw err;
      logger.warn({ event: "health.ttin-failed", container: decision.container, error: (err as Error).message }, `${decision.container}: no thread dump: ${(err as Error).message}`);
    }
  }
  if (deadline.signal.aborted) throw deadline.signal.reason;
  // Not stopped by the deadline or a signal once begun: a `podman restart` cut in half leaves its
  // container stopped. It ends by its own bound, the stop timeout plus the time to start again.
  const url = opts.targets.find((x) => x.containerName === decision.container)?.url;
  const cmd = onConnection(withEnv(restartContainer(decision.container, decision.stopTimeoutSec), opts.podmanEnv), url);
  const r = await deadline.unstoppable(`restarting ${decision.container}`, () => runner.run(cmd, { allowFailure: true, timeoutMs: restartCommandBoundMs(decision.stopTimeoutSec) }));
  if (r.exitCode === 0) {
    const message = `restarted (stop timeout ${decision.stopTimeoutSec} s) because ${reasons}`;
    logger.warn({ event: "health.restart", container: decision.container, stopTimeoutSec: decision.stopTimeoutSec, reasons: verdict.reasons.map((x) => x.code) }, `${decision.container}: ${message}`);
    return { ok: true, message };
  }
  const message = `podman restart failed (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" ")}`;
  logger.error({ event: "health.restart-failed", container: decision.container, exitCode: r.exitCode }, `${decision.container}: ${message}`);
  return { ok: false, message };
}

/** A post that fails is logged and never fails the check; the deadline or a signal still stops it. */
async function postAlerts(ctx: HealthCheckContext, opts: HealthCheckOptions, deadline: CheckDeadline, alerts: readonly HealthAlert[]): Promise<void> {
  const sink = opts.alerts;
  if (!sink || alerts.length === 0) return;
  try {
    await deadline.step(`posting ${alerts.length} alert(s) to Alertmanager`, {}, (signal) => sink.send(alerts, signal));
  } catch (err) {
    if (deadline.signal.aborted) throw err;
    ctx.logger.warn({ event: "health.alert-failed", error: (err as Error).message }, `could not post alerts: ${(err as Error).message}`);
  }
}

async function writeCheckMetrics(ctx: HealthCheckContext, opts: HealthCheckOptions, m: { outcome: CheckOutcome; atMs: number; durationMs: number; lockHeldMs: number }): Promise<void> {
  if (!opts.metrics) return;
  try {
    // The state as the check left it; a skipped check reads what the last full check saved.
    const state = await loadHealthState(opts.statePath);
    await writeMetricsText(ctx, opts, CHECK_METRICS_FILE, await renderCheckMetrics({ ...m, deadlineMs: opts.thresholds.deadlineMs, state }));
  } catch (err) {
    ctx.logger.warn({ event: "health.metrics-failed", error: (err as Error).message }, `could not write metrics: ${(err as Error).message}`);
  }
}

async function writeSidekiqMetrics(ctx: HealthCheckContext, opts: HealthCheckOptions, m: Parameters<typeof renderSidekiqMetrics>[0]): Promise<void> {
  if (opts.metrics) await writeMetricsText(ctx, opts, SIDEKIQ_METRICS_FILE, await renderSidekiqMetrics(m));
}

/** Metrics are a report: failing to write them is logged, never fails the check. */
async function writeMetricsText(ctx: HealthCheckContext, opts: HealthCheckOptions, file: string, text: string): Promise<void> {
  if (!opts.metrics) return;
  try {
    const written = await writeMetricsFile(opts.metrics, file, text);
    if (!written) ctx.logger.debug({ event: "health.metrics-skipped", dir: opts.metrics.dir }, `metrics not written: ${opts.metrics.dir} does not exist`);
  } catch (err) {
    ctx.logger.warn({ event: "health.metrics-failed", file, error: (err as Error).message }, `could not write metrics: ${(err as Error).message}`);
  }
}

const namespaced = (opts: HealthCheckOptions) => (opts.namespace ? { namespace: opts.namespace } : {});

function runtimeOf(c: ContainerSummary | undefined): ContainerRuntime {
  if (!c) return { exists: false, running: false };
  return { exists: true, running: c.state === "running", ...(c.startedAt !== undefined ? { startedAtMs: c.startedAt * 1000 } : {}) };
}

function withEnv(c: Command, env: Readonly<Record<string, string>> | undefined): Command {
  return env ? { ...c, env: { ...(c.env ?? {}), ...env } } : c;
}
