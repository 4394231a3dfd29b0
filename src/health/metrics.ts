import { stat } from "node:fs/promises";
import { join } from "node:path";
import { Counter, Gauge, Registry } from "prom-client";
import { writeFileAtomic } from "../core/atomic-write.js";
import type { HealthState } from "./health-state.js";
import type { ContainerVerdict, VerdictStatus } from "./verdict.js";

/**
 * The check's results in Prometheus' text format, for node_exporter's textfile collector, which
 * reads every `*.prom` file of its directory at each scrape (prometheus/node_exporter README,
 * "Textfile Collector"; files are replaced by rename so a scrape never sees half of one).
 * FreeBSD's node_exporter package runs the collector on /var/tmp/node_exporter
 * (freebsd-ports sysutils/node_exporter/files/node_exporter.in, `node_exporter_textfile_dir`).
 *
 * Two files, because a skipped check (another verb holds the lock) knows only its own outcome:
 * - micropod_health.prom, written by every check: outcome, duration, Redis reachability, the lock,
 *   restarts and alerts counted (from the state file);
 * - micropod_health_sidekiq.prom, written by checks that read Redis: per container its verdict,
 *   busy threads and heartbeat age, per queue its size and latency. When Redis cannot be read it
 *   is emptied, so no stale sample passes for a current one.
 */
export const DEFAULT_METRICS_DIR = "/var/tmp/node_exporter";
export const CHECK_METRICS_FILE = "micropod_health.prom";
export const SIDEKIQ_METRICS_FILE = "micropod_health_sidekiq.prom";

export const OUTCOMES = ["ok", "skipped", "redis_unavailable", "deadline", "interrupted", "failed"] as const;
export type CheckOutcome = (typeof OUTCOMES)[number];
const STATUSES: readonly VerdictStatus[] = ["healthy", "wedged", "absent"];

export interface CheckMetrics {
  readonly outcome: CheckOutcome;
  readonly atMs: number;
  readonly durationMs: number;
  readonly deadlineMs: number;
  /** How long the verb holding the lock had held it, when the check was skipped. */
  readonly lockHeldMs: number;
  readonly state: HealthState;
}

export interface QueueSample {
  readonly name: string;
  readonly size: number;
  readonly latencyMs: number;
}

export interface SidekiqMetrics {
  readonly atMs: number;
  readonly verdicts: readonly ContainerVerdict[];
  readonly queues: readonly QueueSample[];
}

const secs = (ms: number) => ms / 1000;

export async function renderCheckMetrics(m: CheckMetrics): Promise<string> {
  const registers = [new Registry()];
  const gauge = (name: string, help: string, value: number) => new Gauge({ name, help, registers }).set(value);
  const outcome = new Gauge({ name: "micropod_health_check_outcome", help: "1 for the outcome of the last health check, 0 for the others", labelNames: ["outcome"], registers });
  for (const o of OUTCOMES) outcome.set({ outcome: o }, o === m.outcome ? 1 : 0);
  gauge("micropod_health_check_timestamp_seconds", "When the last health check ran (epoch seconds)", secs(m.atMs));
  gauge("micropod_health_check_duration_seconds", "How long the last health check took", secs(m.durationMs));
  gauge("micropod_health_check_deadline_seconds", "The health check's deadline (HEALTH_DEADLINE_SECONDS)", secs(m.deadlineMs));
  gauge("micropod_health_lock_held_seconds", "How long another verb had held the shared lock when the check was skipped; 0 when it was not", secs(m.lockHeldMs));
  const redis = m.state.redis?.failing ?? 0;
  gauge("micropod_health_redis_up", "0 when the last check that tried could not read Sidekiq's state from Redis, else 1", redis > 0 ? 0 : 1);
  gauge("micropod_health_redis_consecutive_failures", "Consecutive checks that could not read Sidekiq's state from Redis", redis);
  const restarts = new Counter({ name: "micropod_health_restarts_total", help: "Container restarts by the health check, by result", labelNames: ["container", "result"], registers });
  for (const [container, r] of Object.entries(m.state.totals?.restarts ?? {})) {
    restarts.inc({ container, result: "ok" }, r.ok);
    restarts.inc({ container, result: "failed" }, r.failed);
  }
  const alerts = new Counter({ name: "micropod_health_alerts_total", help: "Alerts raised by the health check, by alert name", labelNames: ["alertname"], registers });
  for (const [alertname, n] of Object.entries(m.state.totals?.alerts ?? {})) alerts.inc({ alertname }, n);
  return registers[0]!.metrics();
}

export async function renderSidekiqMetrics(m: SidekiqMetrics): Promise<string> {
  const registers = [new Registry()];
  const byContainer = (name: string, help: string) => new Gauge({ name, help, labelNames: ["container"], registers });
  const byQueue = (name: string, help: string) => new Gauge({ name, help, labelNames: ["queue"], registers });
  new Gauge({ name: "micropod_health_sidekiq_sample_timestamp_seconds", help: "When Sidekiq's state was read from Redis (epoch seconds)", registers }).set(secs(m.atMs));
  const verdict = new Gauge({ name: "micropod_health_sidekiq_verdict", help: "1 for the verdict on the container's Sidekiq process, 0 for the others", labelNames: ["container", "status"], registers });
  const busy = byContainer("micropod_health_sidekiq_busy_threads", "Threads of the container's Sidekiq process running a job");
  const threads = byContainer("micropod_health_sidekiq_threads", "Threads of the container's Sidekiq process (its concurrency)");
  const beat = byContainer("micropod_health_sidekiq_heartbeat_age_seconds", "Time since the container's Sidekiq process last wrote its heartbeat");
  for (const v of m.verdicts) {
    for (const s of STATUSES) verdict.set({ container: v.container, status: s }, s === v.status ? 1 : 0);
    if (v.busy !== undefined) busy.set({ container: v.container }, v.busy);
    if (v.concurrency) threads.set({ container: v.container }, v.concurrency);
    if (v.heartbeatAgeMs !== undefined) beat.set({ container: v.container }, secs(Math.max(0, v.heartbeatAgeMs)));
  }
  const size = byQueue("micropod_health_sidekiq_queue_size", "Jobs waiting in the Sidekiq queue");
  const latency = byQueue("micropod_health_sidekiq_queue_latency_seconds", "Age of the oldest job waiting in the Sidekiq queue; 0 when empty");
  for (const q of m.queues) {
    size.set({ queue: q.name }, q.size);
    latency.set({ queue: q.name }, secs(q.latencyMs));
  }
  return registers[0]!.metrics();
}

/**
 * Where metrics go. The default directory is used only while it exists (node_exporter's rc
 * script creates it when it starts); a directory the administrator named is created.
 */
export interface MetricsTarget {
  readonly dir: string;
  readonly create: boolean;
}

export async function writeMetricsFile(target: MetricsTarget, file: string, text: string): Promise<boolean> {
  if (!target.create && !(await stat(target.dir).then((s) => s.isDirectory(), () => false))) return false;
  await writeFileAtomic(join(target.dir, file), text, { mode: 0o644, mkdirs: target.create });
  return true;
}
