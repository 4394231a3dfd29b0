import { join } from "node:path";
import type { Redis } from "ioredis";
import { beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/core/clock.js";
import { acquireLock } from "../../src/core/lock.js";
import { silentLogger } from "../../src/core/logger.js";
import { ExecaRunner } from "../../src/core/runner.js";
import type { AlertSink, HealthAlert } from "../../src/health/alertmanager.js";
import { type CheckReport, runHealthCheck } from "../../src/health/check.js";
import { loadHealthState } from "../../src/health/health-state.js";
import { SidekiqStateReader } from "../../src/health/sidekiq-state.js";
import type { SidekiqTarget } from "../../src/health/targets.js";
import { type HealthThresholds, defaultThresholds } from "../../src/health/thresholds.js";
import { type PodmanSandbox, createPodmanSandbox } from "../support/podman-env.js";
import { startPodmanService } from "../support/podman-service.js";
import { type RedisServer, startRedis } from "./redis-server.js";
import { job, startWorker, startedAt } from "./sidekiq-worker.js";
import { tempDir } from "../support/temp.js";

// Lowered thresholds: Sidekiq 6.4 beats every 5 s, so a heartbeat 9 s old is gone; jobs running
// 3 s at a beat are stuck. The check interval of these tests is 3 s.
const INTERVAL = 3000;
const thresholds: HealthThresholds = {
  ...defaultThresholds,
  heartbeatStaleMs: 9000,
  stuckJobMs: 3000,
  failingSamples: 2,
  graceMs: 0,
  cooldownMs: 0,
  maxRestartsPerHour: 10,
  stopMarginSec: 2,
  ttinWaitMs: 6000,
  lockWaitMs: 300,
};

let redis: RedisServer;
let sandbox: PodmanSandbox;
let client: Redis;
let reader: SidekiqStateReader;
let dir: string;
const runner = new ExecaRunner();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class RecordingSink implements AlertSink {
  readonly sent: HealthAlert[] = [];
  async send(alerts: readonly HealthAlert[]) {
    this.sent.push(...alerts);
  }
}

function target(name: string, queue: string): SidekiqTarget {
  return { containerName: name, tag: name, queues: [queue], concurrency: 2, shutdownTimeout: 2 };
}

function check(t: SidekiqTarget, extra: { thresholds?: HealthThresholds; alerts?: AlertSink; state?: string } = {}): Promise<CheckReport> {
  return runHealthCheck(
    { runner, logger: silentLogger(), clock: systemClock, signal: new AbortController().signal },
    {
      targets: [t],
      reader,
      statePath: extra.state ?? join(dir, `${t.containerName}.json`),
      lockPath: join(dir, "micropod.lock"),
      thresholds: extra.thresholds ?? thresholds,
      podmanEnv: sandbox.env,
      ...(extra.alerts ? { alerts: extra.alerts } : {}),
    },
  );
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 40_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

const processFor = (tag: string) => async () => (await reader.read()).processes.find((p) => p.tag === tag);

/** Both threads hold SleepForever jobs that have run past the stuck threshold at the last beat. */
async function wedge(name: string, queue: string): Promise<void> {
  await client.lpush(`queue:${queue}`, job("SleepForever", queue), job("SleepForever", queue));
  await client.sadd("queues", queue);
  await waitFor(`${name} to be stuck`, async () => {
    const p = await processFor(name)();
    return p && p.jobs.length === 2 && p.beatMs && p.jobs.every((j) => p.beatMs! - j.runAtMs > thresholds.stuckJobMs) ? p : undefined;
  });
}

beforeAll(async () => {
  redis = await startRedis();
  client = redis.client();
  reader = new SidekiqStateReader(redis.client());
  sandbox = createPodmanSandbox();
  dir = tempDir("micropod-health-");
});


describe("health check against a real Sidekiq in podman", () => {
  it("restarts a worker wedged by jobs that never finish within two check intervals, after a thread dump", async () => {
    const name = "mastodon-sidekiq-wedged";
    startWorker(sandbox, name, redis.url, "wedged");
    await waitFor("the worker to beat", processFor(name));
    await wedge(name, "wedged");
    const before = startedAt(sandbox, name);

    const first = await check(target(name, "wedged"));
    expect(first.verdicts[0]?.status).toBe("wedged");
    expect(first.verdicts[0]?.reasons.map((r) => r.code)).toEqual(["threads-stuck"]);
    expect(first.decisions[0]?.action).toBe("wait");
    await sleep(INTERVAL);
    const second = await check(target(name, "wedged"));
    expect(second.decisions[0]).toMatchObject({ action: "restart", ttin: true, stopTimeoutSec: 4 });

    expect(startedAt(sandbox, name)).not.toBe(before);
    const logs = sandbox.podman(["logs", name]);
    expect(logs).toMatch(/Thread TID-\w+/);
    expect(logs).toMatch(/app\.rb:\d+:in `sleep'/);
    const state = await loadHealthState(join(dir, `${name}.json`));
    expect(state.events.map((e) => [e.kind, e.container])).toEqual([["restart", name]]);
    expect(state.containers[name]?.restarts).toHaveLength(1);
  });

  it("restarts a wedged worker on another host, through that host's podman service (issue 18)", async () => {
    // The second "host": its own storage behind `podman system service`; the worker starts in
    // that storage before the service holds it. The check lists and restarts through the URL only:
    // the first sandbox's podman has no such container.
    const other = createPodmanSandbox();
    const name = "mastodon-sidekiq-elsewhere";
    startWorker(other, name, redis.url, "elsewhere");
    const host = await startPodmanService(other);
    const startedThere = () => other.podman(["--url", host.url, "container", "inspect", "--format", "{{.State.StartedAt}}", name]).trim();
    await waitFor("the worker to beat", processFor(name));
    await wedge(name, "elsewhere");
    const before = startedThere();
    const placed = { ...target(name, "elsewhere"), url: host.url };

    const first = await check(placed);
    expect(first.verdicts[0]?.status).toBe("wedged");
    expect(first.decisions[0]?.action).toBe("wait");
    await sleep(INTERVAL);
    const second = await check(placed);
    expect(second.decisions[0]).toMatchObject({ action: "restart", container: name });
    expect(startedThere()).not.toBe(before);
    expect(sandbox.podman(["ps", "--all", "--format", "{{.Names}}"]).split("\n")).not.toContain(name);
    const state = await loadHealthState(join(dir, `${name}.json`));
    expect(state.events.map((e) => [e.kind, e.container])).toEqual([["restart", name]]);
  });

  it("restarts a worker frozen with SIGSTOP once its heartbeat is gone, without asking it for a dump", async () => {
    const name = "mastodon-sidekiq-frozen";
    startWorker(sandbox, name, redis.url, "frozen");
    const p = await waitFor("the worker to beat", processFor(name));
    expect((await check(target(name, "frozen"))).verdicts[0]?.status).toBe("healthy");
    sandbox.podman(["kill", "--signal", "STOP", name]);
    const before = startedAt(sandbox, name);

    const reports: CheckReport[] = [];
    for (let i = 0; i < 8 && !reports.some((r) => r.decisions[0]?.action === "restart"); i++) {
      await sleep(INTERVAL);
      reports.push(await check(target(name, "frozen")));
    }
    const restart = reports.find((r) => r.decisions[0]?.action === "restart");
    expect(restart?.verdicts[0]?.reasons.map((r) => r.code)).toEqual(["heartbeat-gone"]);
    expect(restart?.decisions[0]?.ttin).toBe(false);
    expect(startedAt(sandbox, name)).not.toBe(before);
    // The frozen process's hash lingers until its TTL runs out; the new one sits beside it.
    const fresh = await waitFor("a new process", async () => (await reader.read()).processes.find((q) => q.tag === name && q.identity !== p.identity));
    expect(fresh.quiet).toBe(false);
  });

  it("never restarts a worker that is busy but finishing its jobs, over many checks", async () => {
    const name = "mastodon-sidekiq-busy";
    startWorker(sandbox, name, redis.url, "busy");
    await waitFor("the worker to beat", processFor(name));
    const before = startedAt(sandbox, name);
    const reports: CheckReport[] = [];
    let sawBusy = false;
    for (let i = 0; i < 10; i++) {
      // 1 s jobs keep both threads busy; each one finishes long before the stuck threshold.
      await client.lpush("queue:busy", ...Array.from({ length: 4 }, () => job("Quick", "busy", [1000])));
      await sleep(1500);
      const r = await check(target(name, "busy"));
      sawBusy ||= (r.verdicts[0]?.busy ?? 0) === 2;
      reports.push(r);
    }
    expect(sawBusy).toBe(true);
    expect(reports.map((r) => r.decisions[0]?.action)).toEqual(Array(10).fill("none"));
    expect(startedAt(sandbox, name)).toBe(before);
  });

  it("turns failures past the restart cap into alerts", async () => {
    const name = "mastodon-sidekiq-capped";
    const capped = { ...thresholds, maxRestartsPerHour: 1, ttinWaitMs: 0 };
    const sink = new RecordingSink();
    startWorker(sandbox, name, redis.url, "capped");
    await waitFor("the worker to beat", processFor(name));
    await wedge(name, "capped");
    await check(target(name, "capped"), { thresholds: capped, alerts: sink });
    expect((await check(target(name, "capped"), { thresholds: capped, alerts: sink })).decisions[0]?.action).toBe("restart");
    const afterRestart = startedAt(sandbox, name);

    // The restarted process picks the requeued jobs up again (plus two more): wedged again.
    await waitFor("the new process", processFor(name));
    await wedge(name, "capped");
    const actions: string[] = [];
    for (let i = 0; i < 2; i++) {
      actions.push((await check(target(name, "capped"), { thresholds: capped, alerts: sink })).decisions[0]!.action);
      await sleep(INTERVAL);
    }
    expect(actions).toEqual(["wait", "alert"]);
    expect(startedAt(sandbox, name)).toBe(afterRestart);
    expect(sink.sent.map((a) => [a.name, a.container])).toEqual([
      ["SidekiqRestarted", name],
      ["SidekiqRestartCapReached", name],
    ]);
    expect(sink.sent[1]?.description).toMatch(/1 restarts in the last hour reached the cap of 1; not restarting/);
  });

  it("restarts nothing while `micropod start` holds the lock, and says so", async () => {
    const name = "mastodon-sidekiq-locked";
    startWorker(sandbox, name, redis.url, "locked");
    await waitFor("the worker to beat", processFor(name));
    await wedge(name, "locked");
    const before = startedAt(sandbox, name);
    const state = join(dir, `${name}.json`);

    const lock = await acquireLock(join(dir, "micropod.lock"), { verb: "start" });
    try {
      for (let i = 0; i < 3; i++) {
        const r = await check(target(name, "locked"), { state });
        expect(r.skipped).toMatch(/micropod\.lock is held by start \(pid \d+/);
        expect(r.decisions).toEqual([]);
      }
    } finally {
      await lock.release();
    }
    expect(startedAt(sandbox, name)).toBe(before);
    expect((await loadHealthState(state)).events).toEqual([]);
    // The same worker, checked once the lock is free, is restarted: the skip was the lock's doing.
    await check(target(name, "locked"), { state, thresholds: { ...thresholds, ttinWaitMs: 0 } });
    expect((await check(target(name, "locked"), { state, thresholds: { ...thresholds, ttinWaitMs: 0 } })).decisions[0]?.action).toBe("restart");
  });
});
