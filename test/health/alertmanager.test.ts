import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlertmanagerSink } from "../../src/health/alertmanager.js";
import { requireTool } from "../support/require-tool.js";
import { freePort } from "./redis-server.js";

let dir: string;
let proc: ChildProcess;
let port: number;

beforeAll(async () => {
  requireTool("prometheus-alertmanager", "prometheus-alertmanager");
  dir = mkdtempSync(join(tmpdir(), "micropod-alertmanager-"));
  writeFileSync(join(dir, "alertmanager.yml"), 'route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n');
  port = await freePort();
  proc = spawn(
    "prometheus-alertmanager",
    [`--config.file=${join(dir, "alertmanager.yml")}`, `--storage.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address="],
    { stdio: "ignore" },
  );
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/-/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 100) throw new Error("Alertmanager did not become ready");
    await new Promise((r) => setTimeout(r, 100));
  }
});

afterAll(async () => {
  proc?.kill("SIGTERM");
  if (proc) await new Promise((r) => proc.once("exit", r));
  rmSync(dir, { recursive: true, force: true });
});

describe("AlertmanagerSink against a real Alertmanager", () => {
  it("posts restart and queue alerts through the v2 API, and Alertmanager serves them back", async () => {
    const now = Date.now();
    const sink = new AlertmanagerSink(`127.0.0.1:${port}`, { now: () => now, instance: "mastodon.example" });
    await sink.send([
      { name: "SidekiqRestarted", severity: "warning", container: "mastodon-sidekiq-pull", summary: "mastodon-sidekiq-pull: restarted", description: "restarted (stop timeout 35 s) because all 25 threads busy" },
      { name: "SidekiqQueueUnserved", severity: "warning", queue: "fasp", summary: "queue fasp is not served", description: "queue fasp holds 3 jobs" },
    ]);
    const res = await fetch(`http://127.0.0.1:${port}/api/v2/alerts`);
    const alerts = (await res.json()) as Array<{ labels: Record<string, string>; annotations: Record<string, string>; status: { state: string }; endsAt: string }>;
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
});
