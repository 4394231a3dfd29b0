import { hostname } from "node:os";

/**
 * Alerts for an Alertmanager, posted through its v2 API (`POST /api/v2/alerts`) with node's
 * fetch. MONITORHOST is `host:port`, a bare host (the seed's cron line sets an IP address alone:
 * Alertmanager's own default port 9093 is used then), or a full http(s) URL.
 */
export type AlertName =
  | "SidekiqRestarted"
  | "SidekiqRestartFailed"
  | "SidekiqRestartCapReached"
  | "SidekiqContainerNotRunning"
  | "SidekiqQueueUnserved"
  | "SidekiqRedisUnavailable"
  | "MicropodHealthSkipped"
  | "CertificateRenewalFailed";

export interface HealthAlert {
  readonly name: AlertName;
  readonly severity: "info" | "warning" | "critical";
  readonly container?: string;
  readonly queue?: string;
  readonly summary: string;
  readonly description: string;
}

export interface AlertSink {
  send(alerts: readonly HealthAlert[], signal?: AbortSignal): Promise<void>;
}

/** One alert as the v2 API takes it (PostableAlert). */
export interface PostableAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
}

/** Alertmanager's default `--web.listen-address` is :9093. */
export const ALERTMANAGER_PORT = "9093";

export function alertmanagerUrl(monitorHost: string): string {
  if (/^https?:\/\//.test(monitorHost)) return `${monitorHost.replace(/\/+$/, "")}/api/v2/alerts`;
  const u = new URL(`http://${monitorHost}`);
  if (u.port === "") u.port = ALERTMANAGER_PORT;
  return `${u.origin}/api/v2/alerts`;
}

/**
 * An alert resolves by itself after `ttlMs` unless a later check posts it again, so a condition
 * that clears needs no separate "resolved" post.
 */
export function toPostable(a: HealthAlert, nowMs: number, ttlMs: number, instance = hostname()): PostableAlert {
  const labels: Record<string, string> = { alertname: a.name, severity: a.severity, instance, service: "micropod-health" };
  if (a.container) labels.container = a.container;
  if (a.queue) labels.queue = a.queue;
  return {
    labels,
    annotations: { summary: a.summary, description: a.description },
    startsAt: new Date(nowMs).toISOString(),
    endsAt: new Date(nowMs + ttlMs).toISOString(),
  };
}

export class AlertmanagerSink implements AlertSink {
  constructor(
    private readonly monitorHost: string,
    private readonly opts: { now?: () => number; ttlMs?: number; timeoutMs?: number; instance?: string } = {},
  ) {}

  /** `signal` stops the post early (the check's deadline, SIGTERM); the post has its own timeout too. */
  async send(alerts: readonly HealthAlert[], signal?: AbortSignal): Promise<void> {
    if (alerts.length === 0) return;
    const now = this.opts.now?.() ?? Date.now();
    const body = alerts.map((a) => toPostable(a, now, this.opts.ttlMs ?? 15 * 60_000, this.opts.instance));
    const url = alertmanagerUrl(this.monitorHost);
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(this.opts.timeoutMs ?? 5000)]) : AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
    });
    if (!res.ok) throw new Error(`Alertmanager at ${url} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  }
}
