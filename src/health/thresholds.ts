import { UsageError } from "../core/errors.js";

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
  /** How long a check waits for the shared lock before skipping. */
  readonly lockWaitMs: number;
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
