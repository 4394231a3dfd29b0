import { UsageError } from "../core/errors.js";
import type { Every } from "./schedule.js";
import type { SidekiqTarget } from "./targets.js";

/**
 * Every number the health check judges by (docs/health.md, "Verdicts"; Sidekiq's own timings from
 * sidekiq/sidekiq lib/sidekiq/launcher.rb):
 * heartbeat gone after 60 s (the process hash's TTL), threads stuck after 5 min on the same
 * jobs, quiet for longer than the shutdown timeout plus a margin, a queue starving past 120 s.
 */
export interface HealthThresholds {
  readonly heartbeatStaleMs: number;
  readonly stuckJobMs: number;
  /** Added to the container's Sidekiq shutdown timeout before a quiet process counts as stuck. */
  readonly quietMarginMs: number;
  readonly starvingLatencyMs: number;
  /** Consecutive failing samples before acting. */
  readonly failingSamples: number;
  /** No restart this soon after the container started (Mastodon's Sidekiq boots slowly). */
  readonly graceMs: number;
  /** No second restart of a container this soon after the last one. */
  readonly cooldownMs: number;
  /** Past this many restarts of one container within an hour, alert instead. */
  readonly maxRestartsPerHour: number;
  /** The podman stop timeout is Sidekiq's shutdown timeout plus this, so jobs are pushed back first. */
  readonly stopMarginSec: number;
  /** After pushing TTIN, wait this long (one heartbeat) so the thread dump reaches the log. */
  readonly ttinWaitMs: number;
  /** How long a check waits for the shared lock before skipping (at most half the deadline). */
  readonly lockWaitMs: number;
  /** The hard bound of a whole check; a restart already started adds its own (restartBoundMs). */
  readonly deadlineMs: number;
  /** Bound of each Redis call, connecting included. */
  readonly redisTimeoutMs: number;
  /** Bound of `podman ps`. */
  readonly podmanTimeoutMs: number;
  /** A check skipped because another verb has held the lock this long alerts. */
  readonly skipAlertMs: number;
}

export const defaultThresholds: HealthThresholds = {
  heartbeatStaleMs: 60_000,
  stuckJobMs: 5 * 60_000,
  quietMarginMs: 30_000,
  starvingLatencyMs: 120_000,
  failingSamples: 2,
  graceMs: 3 * 60_000,
  cooldownMs: 10 * 60_000,
  maxRestartsPerHour: 3,
  stopMarginSec: 10,
  ttinWaitMs: 11_000,
  lockWaitMs: 10_000,
  deadlineMs: 30_000,
  redisTimeoutMs: 5_000,
  podmanTimeoutMs: 10_000,
  skipAlertMs: 15 * 60_000,
};

/** Environment names for each threshold, so an rc.conf or .env can tune them without flags. */
export const thresholdVariables: Readonly<Record<keyof HealthThresholds, string>> = {
  heartbeatStaleMs: "HEALTH_HEARTBEAT_STALE_SECONDS",
  stuckJobMs: "HEALTH_STUCK_JOB_SECONDS",
  quietMarginMs: "HEALTH_QUIET_MARGIN_SECONDS",
  starvingLatencyMs: "HEALTH_STARVING_LATENCY_SECONDS",
  failingSamples: "HEALTH_FAILING_SAMPLES",
  graceMs: "HEALTH_GRACE_SECONDS",
  cooldownMs: "HEALTH_COOLDOWN_SECONDS",
  maxRestartsPerHour: "HEALTH_MAX_RESTARTS_PER_HOUR",
  stopMarginSec: "HEALTH_STOP_MARGIN_SECONDS",
  ttinWaitMs: "HEALTH_TTIN_WAIT_SECONDS",
  lockWaitMs: "HEALTH_LOCK_WAIT_SECONDS",
  deadlineMs: "HEALTH_DEADLINE_SECONDS",
  redisTimeoutMs: "HEALTH_REDIS_TIMEOUT_SECONDS",
  podmanTimeoutMs: "HEALTH_PODMAN_TIMEOUT_SECONDS",
  skipAlertMs: "HEALTH_SKIP_ALERT_SECONDS",
};

const counts = new Set<keyof HealthThresholds>(["failingSamples", "maxRestartsPerHour", "stopMarginSec"]);

/** Thresholds from variables (seconds, or plain counts), over the defaults; a bad value is a usage error. */
export function thresholdsFrom(vars: Readonly<Record<string, string | undefined>>, base: HealthThresholds = defaultThresholds): HealthThresholds {
  const out: Record<string, number> = { ...base };
  const problems: string[] = [];
  for (const [key, name] of Object.entries(thresholdVariables) as [keyof HealthThresholds, string][]) {
    const raw = vars[name];
    if (raw === undefined || raw.trim() === "") continue;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0 || (key === "failingSamples" && n < 1)) {
      problems.push(`${name}=${raw}: expected a ${counts.has(key) ? "whole number" : "number of seconds"}${key === "failingSamples" ? " of at least 1" : ""}`);
      continue;
    }
    out[key] = counts.has(key) ? Math.trunc(n) : Math.round(n * 1000);
  }
  if (problems.length) throw new UsageError("bad health threshold", problems);
  return out as unknown as HealthThresholds;
}

/** How long podman may take to start a container again once it has stopped it. */
export const RESTART_START_MS = 15_000;

/** The `podman restart` of a container: its stop timeout, then the start. */
export const restartCommandBoundMs = (stopTimeoutSec: number) => stopTimeoutSec * 1000 + RESTART_START_MS;

/** Recording a restart and posting its alert (the Alertmanager post's own timeout). */
export const REPORT_MS = 5_000;

/** A restart from its thread dump (TTIN and one heartbeat) to the container running again and the alert posted. */
export const restartBoundMs = (target: Pick<SidekiqTarget, "shutdownTimeout">, t: HealthThresholds) =>
  t.ttinWaitMs + restartCommandBoundMs(target.shutdownTimeout + t.stopMarginSec) + REPORT_MS;

/**
 * A check must end before the next one is due, whatever it waits on: the deadline below the
 * interval, and the deadline plus the longest restart (which the deadline makes room for once it
 * has started) below it too. A step's own bound may exceed the deadline: the deadline then stops
 * it first.
 */
export function checkBounds(t: HealthThresholds, every: Every, targets: readonly Pick<SidekiqTarget, "shutdownTimeout" | "containerName">[]): void {
  const v = thresholdVariables;
  const s = (ms: number) => `${Math.round(ms / 100) / 10} s`;
  const problems: string[] = [];
  if (t.deadlineMs <= 0 || t.deadlineMs >= every.ms) problems.push(`${v.deadlineMs}: ${s(t.deadlineMs)} must be above 0 and below the ${every.text} interval of the checks`);
  const longest = [...targets].sort((a, b) => b.shutdownTimeout - a.shutdownTimeout)[0];
  if (longest && t.deadlineMs < every.ms) {
    const restart = restartBoundMs(longest, t);
    if (t.deadlineMs + restart >= every.ms) {
      problems.push(
        `a check that restarts ${longest.containerName} may take ${s(t.deadlineMs + restart)} (deadline ${s(t.deadlineMs)} + thread dump wait ${s(t.ttinWaitMs)} + podman stop timeout ${longest.shutdownTimeout + t.stopMarginSec} s + ${s(RESTART_START_MS)} to start it + ${s(REPORT_MS)} to report), not below the ${every.text} interval: choose a longer --every or lower ${v.deadlineMs} / ${v.ttinWaitMs}`,
      );
    }
  }
  if (problems.length) throw new UsageError("the health check would not always end before the next one is due", problems);
}
