import { describe, expect, it } from "vitest";
import { emptyRecord } from "../../../src/health/health-state.js";
import { decide } from "../../../src/health/policy.js";
import { defaultThresholds as t } from "../../../src/health/thresholds.js";
import type { ContainerVerdict } from "../../../src/health/verdict.js";

const NOW = 1_790_000_000_000;
const MIN = 60_000;
const target = { containerName: "c", tag: "c", queues: ["pull"], shutdownTimeout: 25 };
const wedged: ContainerVerdict = { container: "c", status: "wedged", reasons: [{ code: "threads-stuck", message: "all 2 threads stuck" }], identity: "h:1:a", heartbeatAlive: true, memory: { identity: "h:1:a" } };
const running = { exists: true, running: true, startedAtMs: NOW - 60 * MIN };

describe("decide", () => {
  it("waits for consecutive failing samples, then restarts with TTIN and a stop timeout above Sidekiq's", () => {
    const first = decide(wedged, emptyRecord(), running, target, t, NOW);
    expect(first.decision).toEqual({ container: "c", action: "wait", message: "all 2 threads stuck: failing sample 1 of 2", failing: 1, ttin: false, stopTimeoutSec: 35 });
    const second = decide(wedged, first.record, running, target, t, NOW + 2 * MIN);
    expect(second.decision).toEqual({ container: "c", action: "restart", message: "all 2 threads stuck: restarting", failing: 2, ttin: true, stopTimeoutSec: 35 });
    expect(second.record).toMatchObject({ failing: 0, restarts: [NOW + 2 * MIN], memory: {} });
  });

  it("a healthy sample resets the count", () => {
    const first = decide(wedged, emptyRecord(), running, target, t, NOW);
    const ok = decide({ ...wedged, status: "healthy", reasons: [] }, first.record, running, target, t, NOW + MIN);
    expect([ok.decision.action, ok.record.failing]).toEqual(["none", 0]);
  });

  it("respects the grace period after a start, the cooldown, then the hourly cap", () => {
    const failing = { ...emptyRecord(), failing: 5 };
    expect(decide(wedged, failing, { ...running, startedAtMs: NOW - MIN }, target, t, NOW).decision.message).toBe("all 2 threads stuck: container started 60 s ago, within the 180 s grace period");
    expect(decide(wedged, { ...failing, restarts: [NOW - 5 * MIN] }, running, target, t, NOW).decision.message).toBe("all 2 threads stuck: restarted 300 s ago, cooldown 600 s");
    const capped = decide(wedged, { ...failing, restarts: [NOW - 50 * MIN, NOW - 30 * MIN, NOW - 11 * MIN] }, running, target, t, NOW).decision;
    expect([capped.action, capped.alert, capped.message]).toEqual(["alert", "cap", "all 2 threads stuck: 3 restarts in the last hour reached the cap of 3; not restarting"]);
    expect(decide(wedged, { ...failing, restarts: [NOW - 70 * MIN, NOW - 30 * MIN, NOW - 11 * MIN] }, running, target, t, NOW).decision.action).toBe("restart");
  });

  it("restarts a running container whose process vanished without TTIN, and only alerts for a stopped one", () => {
    const absent: ContainerVerdict = { container: "c", status: "absent", reasons: [], heartbeatAlive: false, memory: {} };
    const r = decide(absent, { ...emptyRecord(), failing: 1 }, running, target, t, NOW).decision;
    expect([r.action, r.ttin, r.message]).toEqual(["restart", false, "no Sidekiq process reports with tag c: restarting"]);
    expect(decide(absent, emptyRecord(), { exists: true, running: false }, target, t, NOW).decision).toMatchObject({ action: "alert", alert: "not-running" });
    expect(decide(absent, emptyRecord(), { exists: false, running: false }, target, t, NOW).decision.message).toBe("container does not exist");
  });

  it("never restarts a container that is not running, whatever the verdict: an alert, however many samples failed", () => {
    const stopped = { exists: true, running: false, startedAtMs: NOW - 60 * MIN };
    const expired: ContainerVerdict = { ...wedged, reasons: [{ code: "heartbeat-gone", message: "process h:1:a stopped beating: its hash expired" }], heartbeatAlive: false };
    for (const verdict of [wedged, expired]) {
      const r = decide(verdict, { ...emptyRecord(), failing: 5 }, stopped, target, t, NOW);
      expect(r.decision).toEqual({
        container: "c",
        action: "alert",
        alert: "not-running",
        message: `${verdict.reasons[0]!.message}; container is not running: not restarting it (start, stop or its restart policy decides that)`,
        failing: 0,
        ttin: false,
        stopTimeoutSec: 35,
      });
      expect(r.record).toMatchObject({ failing: 0, restarts: [] });
    }
    expect(decide(wedged, emptyRecord(), { exists: false, running: false }, target, t, NOW).decision).toMatchObject({ action: "alert", alert: "not-running", message: "all 2 threads stuck; container does not exist" });
  });
});
