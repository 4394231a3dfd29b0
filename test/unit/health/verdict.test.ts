import { describe, expect, it } from "vitest";
import type { SidekiqProcessRecord, SidekiqSnapshot } from "../../../src/health/sidekiq-state.js";
import { defaultThresholds as t } from "../../../src/health/thresholds.js";
import { judge } from "../../../src/health/verdict.js";

const NOW = 1_790_000_000_000;
const target = { containerName: "mastodon-sidekiq-pull", tag: "mastodon-sidekiq-pull", queues: ["pull"], concurrency: 2, shutdownTimeout: 25 };
const proc = (over: Partial<SidekiqProcessRecord> = {}): SidekiqProcessRecord => ({
  identity: "h:1:a", tag: "mastodon-sidekiq-pull", queues: ["pull"], concurrency: 2, busy: 0, beatMs: NOW - 5000, quiet: false, jobs: [], ...over,
});
const snap = (processes: SidekiqProcessRecord[], extra: Partial<SidekiqSnapshot> = {}): SidekiqSnapshot => ({ processes, ghosts: [], queues: [{ name: "pull", size: 0 }], ...extra });
const stuckJobs = [
  { thread: "t1", queue: "pull", jid: "a", runAtMs: NOW - 400_000 },
  { thread: "t2", queue: "pull", jid: "b", runAtMs: NOW - 301_000 },
];

describe("judge", () => {
  it("calls a beating, idle process healthy and remembers it", () => {
    const v = judge(snap([proc()]), [target], {}, t, NOW).verdicts[0]!;
    expect(v).toEqual({ container: target.containerName, status: "healthy", reasons: [], identity: "h:1:a", heartbeatAlive: true, busy: 0, concurrency: 2, heartbeatAgeMs: 5000, memory: { identity: "h:1:a", latencyMs: { pull: 0 } } });
  });

  it("finds the heartbeat gone after 60 s, and after the hash expired through the remembered identity", () => {
    const stale = judge(snap([proc({ beatMs: NOW - 61_000 })]), [target], {}, t, NOW).verdicts[0]!;
    expect([stale.status, stale.heartbeatAlive, stale.reasons.map((r) => r.message)]).toEqual(["wedged", false, ["last heartbeat 61 s ago (limit 60 s)"]]);
    const expired = judge(snap([], { ghosts: ["h:1:a"] }), [target], { [target.containerName]: { identity: "h:1:a" } }, t, NOW).verdicts[0]!;
    expect([expired.status, expired.reasons.map((r) => r.message)]).toEqual(["wedged", ["process h:1:a stopped beating: its hash expired"]]);
    expect(judge(snap([], { ghosts: ["h:1:a"] }), [target], {}, t, NOW).verdicts[0]!.status).toBe("absent");
  });

  it("calls threads stuck only when every thread ran past the limit at the last beat, on the same jobs as before", () => {
    const p = proc({ busy: 2, jobs: stuckJobs, beatMs: NOW });
    expect(judge(snap([p]), [target], {}, t, NOW).verdicts[0]!.reasons.map((r) => r.message)).toEqual(["all 2 threads busy on the same jobs for over 301 s (limit 300 s)"]);
    // Different jobs than the previous sample: the threads are moving.
    expect(judge(snap([p]), [target], { [target.containerName]: { jobs: "t1:a t2:c" } }, t, NOW).verdicts[0]!.status).toBe("healthy");
    // One thread on a young job: not every thread is stuck.
    const young = proc({ busy: 2, beatMs: NOW, jobs: [stuckJobs[0]!, { thread: "t2", queue: "pull", jid: "b", runAtMs: NOW - 1000 }] });
    expect(judge(snap([young]), [target], {}, t, NOW).verdicts[0]!.status).toBe("healthy");
    // Age counts at the beat: the work hash is only as new as the last heartbeat.
    const oldBeat = proc({ busy: 2, beatMs: NOW - 9000, jobs: stuckJobs });
    expect(judge(snap([oldBeat]), [target], {}, t, NOW).verdicts[0]!.status).toBe("healthy");
  });

  it("calls a process quiet past its shutdown timeout plus the margin stuck", () => {
    const mem = { [target.containerName]: { quietSinceMs: NOW - 56_000 } };
    expect(judge(snap([proc({ quiet: true })]), [target], mem, t, NOW).verdicts[0]!.reasons.map((r) => r.message)).toEqual(["quiet for 56 s (limit 55 s)"]);
    const first = judge(snap([proc({ quiet: true })]), [target], {}, t, NOW).verdicts[0]!;
    expect([first.status, first.memory.quietSinceMs]).toEqual(["healthy", NOW]);
  });

  it("counts a starving, growing queue only beside another wedge sign, never for a busy worker on young jobs", () => {
    const queues = [{ name: "pull", size: 40, oldestEnqueuedAtMs: NOW - 150_000 }];
    const mem = { [target.containerName]: { jobs: "t1:a t2:b", latencyMs: { pull: 140_000 } } };
    // Every thread on the same 30 s-old jobs as the previous sample, with a growing backlog: busy, not wedged.
    const busy = proc({ busy: 2, beatMs: NOW, jobs: stuckJobs.map((j) => ({ ...j, runAtMs: NOW - 30_000 })) });
    const young = judge(snap([busy], { queues }), [target], mem, t, NOW).verdicts[0]!;
    expect([young.status, young.reasons]).toEqual(["healthy", []]);
    // The same jobs past stuckJobMs: threads stuck, and the starving queue is counted beside it.
    const stuck = proc({ busy: 2, beatMs: NOW, jobs: stuckJobs });
    expect(judge(snap([stuck], { queues }), [target], mem, t, NOW).verdicts[0]!.reasons.map((r) => r.message)).toEqual([
      "all 2 threads busy on the same jobs for over 301 s (limit 300 s)",
      "queue pull waits 150 s and growing (limit 120 s)",
    ]);
    // Beside a gone heartbeat too; an idle beating process with the same backlog is healthy.
    expect(judge(snap([proc({ beatMs: NOW - 61_000 })], { queues }), [target], mem, t, NOW).verdicts[0]!.reasons.map((r) => r.code)).toEqual(["heartbeat-gone", "queue-starving"]);
    expect(judge(snap([proc()], { queues }), [target], mem, t, NOW).verdicts[0]!.status).toBe("healthy");
  });

  it("prefers the newest of two processes with one tag (the restarted one)", () => {
    const v = judge(snap([proc({ identity: "old", startedAtMs: 1, beatMs: NOW - 61_000 }), proc({ identity: "new", startedAtMs: 2 })]), [target], {}, t, NOW).verdicts[0]!;
    expect([v.identity, v.status]).toEqual(["new", "healthy"]);
  });
});
