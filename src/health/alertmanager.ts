import { hostname } from "node:os";

/**
 * Alerts for an Alertmanager, posted through its v2 API (`POST /api/v2/alerts`) with node's
 * fetch. MONITORHOST is the seed's `host:port`; a full http(s) URL is accepted too.
 */
export type AlertName = "SidekiqRestarted" | "SidekiqRestartFailed" | "SidekiqRestartCapReached" | "SidekiqContainerNotRunning" | "SidekiqQueueUnserved" | "CertificateRenewalFailed";

export interface HealthAlert {
  readonly name: AlertName;
  readonly severity: "info" | "warning" | "critical";
  readonly container?: string;
  readonly queue?: string;
  readonly summary: string;
  readonly description: string;
}

export interface AlertSink {
  send(alerts: readonly HealthAlert[]): Promise<void>;
}

/** One alert as the v2 API takes it (PostableAlert). */
export interface PostableAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly startsAt: string;
  readonly endsAt: string;
}

export function alertmanagerUrl(monitorHost: string): string {
  const base = /^https?:\/\//.test(monitorHost) ? monitorHost : `http://${monitorHost}`;
  return `${base.replace(/\/+$/, "")}/api/v2/alerts`;
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

  async send(alerts: readonly HealthAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    const now = this.opts.now?.() ?? Date.now();
    const body = alerts.map((a) => toPostable(a, now, this.opts.ttlMs ?? 15 * 60_000, this.opts.instance));
    const url = alertmanagerUrl(this.monitorHost);
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
    });
    if (!res.ok) throw new Error(`Alertmanager at ${url} answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
  }
}
