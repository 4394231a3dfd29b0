import { beforeAll, describe, expect, it } from "vitest";
import { AlertmanagerSink } from "../../src/health/alertmanager.js";
import { alertSink } from "../../src/health/setup.js";
import { type AlertmanagerServer, startAlertmanager } from "./alertmanager-server.js";

let am: AlertmanagerServer;
let port: number;

beforeAll(async () => {
  am = await startAlertmanager();
  port = am.port;
});

describe("AlertmanagerSink against a real Alertmanager", () => {
  it("posts restart and queue alerts through the v2 API, and Alertmanager serves them back", async () => {
    const now = Date.now();
    const sink = new AlertmanagerSink(`127.0.0.1:${port}`, { now: () => now, instance: "mastodon.example" });
    await sink.send([
      { name: "SidekiqRestarted", severity: "warning", container: "mastodon-sidekiq-pull", summary: "mastodon-sidekiq-pull: restarted", description: "restarted (stop timeout 35 s) because all 25 threads busy" },
      { name: "SidekiqQueueUnserved", severity: "warning", queue: "fasp", summary: "queue fasp is not served", description: "queue fasp holds 3 jobs" },
    ]);
    const alerts = await am.alerts();
    const got = alerts.map((a) => ({ labels: a.labels, annotations: a.annotations, state: a.status.state })).sort((a, b) => a.labels.alertname!.localeCompare(b.labels.alertname!));
    expect(got).toEqual([
      {
        labels: { alertname: "SidekiqQueueUnserved", severity: "warning", instance: "mastodon.example", service: "micropod-health", queue: "fasp" },
        annotations: { summary: "queue fasp is not served", description: "queue fasp holds 3 jobs" },
        state: "active",
      },
      {
        labels: { alertname: "SidekiqRestarted", severity: "warning", instance: "mastodon.example", service: "micropod-health", container: "mastodon-sidekiq-pull" },
        annotations: { summary: "mastodon-sidekiq-pull: restarted", description: "restarted (stop timeout 35 s) because all 25 threads busy" },
        state: "active",
      },
    ]);
    expect(new Date(alerts[0]!.endsAt).getTime()).toBe(now + 15 * 60_000);
  });

  it("says which Alertmanager refused the alerts", async () => {
    // An alert that ends before it starts is refused by the API with 400.
    const sink = new AlertmanagerSink(`http://127.0.0.1:${port}/`, { ttlMs: -60_000 });
    await expect(sink.send([{ name: "SidekiqRestarted", severity: "info", summary: "s", description: "d" }])).rejects.toThrow(
      new RegExp(`^Alertmanager at http://127\\.0\\.0\\.1:${port}/api/v2/alerts answered 400`),
    );
  });

  it("labels alerts with the seed's INSTANCE, given on the crontab line like MONITORHOST, instead of the hostname", async () => {
    const env: Record<string, string> = { MONITORHOST: `127.0.0.1:${port}`, INSTANCE: "192.0.2.44" };
    const sink = alertSink((name) => env[name]);
    await sink!.send([{ name: "SidekiqRedisUnavailable", severity: "critical", summary: "s", description: "d" }]);
    const got = (await am.alerts()).filter((a) => a.labels.alertname === "SidekiqRedisUnavailable");
    expect(got.map((a) => a.labels.instance)).toEqual(["192.0.2.44"]);
  });
});
