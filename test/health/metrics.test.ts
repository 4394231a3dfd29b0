import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/core/clock.js";
import { acquireLock } from "../../src/core/lock.js";
import { silentLogger } from "../../src/core/logger.js";
import { ExecaRunner } from "../../src/core/runner.js";
import { runHealthCheck } from "../../src/health/check.js";
import { CHECK_METRICS_FILE, SIDEKIQ_METRICS_FILE } from "../../src/health/metrics.js";
import { SidekiqStateReader } from "../../src/health/sidekiq-state.js";
import { defaultThresholds } from "../../src/health/thresholds.js";
import { type PodmanSandbox, createPodmanSandbox } from "../support/podman-env.js";
import { requireTool } from "../support/require-tool.js";
import { type RedisServer, startRedis } from "./redis-server.js";
import { job, startWorker } from "./sidekiq-worker.js";
import { tempDir } from "../support/temp.js";

// The metrics file against a real Sidekiq: what it says about busy threads and queue sizes is what
// Sidekiq's own API (Debian's ruby-sidekiq, reading the same Redis) says, and Prometheus' own
// parser (`promtool check metrics`) accepts every file the check writes.
const NAME = "mastodon-sidekiq-metrics";
const QUEUE = "metrics";

let redis: RedisServer;
let sandbox: PodmanSandbox;
let dir: string;

beforeAll(async () => {
  requireTool("promtool", "prometheus");
  redis = await startRedis();
  sandbox = createPodmanSandbox();
  dir = tempDir("micropod-health-metrics-");
});


/** Sidekiq's own view, through its API (sidekiq/api: ProcessSet, Queue). */
function sidekiqSays(): { busy: number; size: number } {
  const script = `require "sidekiq/api"; p = Sidekiq::ProcessSet.new.find { |x| x["tag"] == ${JSON.stringify(NAME)} }; puts [p ? p["busy"] : -1, Sidekiq::Queue.new(${JSON.stringify(QUEUE)}).size].join(" ")`;
  const out = execFileSync("ruby", ["-e", script], { env: { ...process.env, REDIS_URL: redis.url }, encoding: "utf8" }).trim();
  const [busy, size] = out.split(" ").map(Number);
  return { busy: busy!, size: size! };
}

/** `promtool check metrics` reads the file from standard input; lint problems exit 3, parse errors 1. */
function promtool(file: string): { code: number; out: string } {
  const r = spawnSync("promtool", ["check", "metrics"], { input: readFileSync(file), encoding: "utf8" });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

const sample = (text: string, series: string) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe("metrics for node_exporter's textfile collector", () => {
  it("reflect a real Sidekiq's busy threads and queue size, and pass promtool", async () => {
    startWorker(sandbox, NAME, redis.url, QUEUE, { concurrency: 2 });
    const client = redis.client();
    // Two jobs that never end take both threads; three more wait behind them.
    await client.lpush(`queue:${QUEUE}`, job("SleepForever", QUEUE), job("SleepForever", QUEUE));
    await client.sadd("queues", QUEUE);
    const reader = new SidekiqStateReader(redis.client());
    const deadline = Date.now() + 40_000;
    for (;;) {
      const p = (await reader.read()).processes.find((x) => x.tag === NAME);
      if (p?.busy === 2) break;
      if (Date.now() > deadline) throw new Error("the worker never reported 2 busy threads");
      await new Promise((r) => setTimeout(r, 250));
    }
    await client.lpush(`queue:${QUEUE}`, job("Quick", QUEUE), job("Quick", QUEUE), job("Quick", QUEUE));
    const truth = sidekiqSays();
    expect(truth).toEqual({ busy: 2, size: 3 });

    const metrics = join(dir, "textfile");
    await runHealthCheck(
      { runner: new ExecaRunner(), logger: silentLogger(), clock: systemClock, signal: new AbortController().signal },
      {
        targets: [{ containerName: NAME, tag: NAME, queues: [QUEUE], concurrency: 2, shutdownTimeout: 2 }],
        reader,
        statePath: join(dir, "health.json"),
        lockPath: join(dir, "micropod.lock"),
        thresholds: defaultThresholds,
        podmanEnv: sandbox.env,
        metrics: { dir: metrics, create: true },
      },
    );

    const sidekiq = readFileSync(join(metrics, SIDEKIQ_METRICS_FILE), "utf8");
    expect(sample(sidekiq, `micropod_health_sidekiq_busy_threads{container="${NAME}"}`)).toBe(truth.busy);
    expect(sample(sidekiq, `micropod_health_sidekiq_queue_size{queue="${QUEUE}"}`)).toBe(truth.size);
    expect(sample(sidekiq, `micropod_health_sidekiq_threads{container="${NAME}"}`)).toBe(2);
    expect(sample(sidekiq, `micropod_health_sidekiq_verdict{container="${NAME}",status="healthy"}`)).toBe(1);
    expect(sample(sidekiq, `micropod_health_sidekiq_verdict{container="${NAME}",status="wedged"}`)).toBe(0);
    // Sidekiq 6.4 beats every 5 s: the heartbeat is younger than the 60 s its hash lives.
    expect(sample(sidekiq, `micropod_health_sidekiq_heartbeat_age_seconds{container="${NAME}"}`)).toBeLessThan(60);
    expect(sample(sidekiq, `micropod_health_sidekiq_queue_latency_seconds{queue="${QUEUE}"}`)).toBeGreaterThan(0);
    const check = readFileSync(join(metrics, CHECK_METRICS_FILE), "utf8");
    expect(sample(check, `micropod_health_check_outcome{outcome="ok"}`)).toBe(1);
    expect(sample(check, `micropod_health_check_outcome{outcome="skipped"}`)).toBe(0);
    expect(sample(check, "micropod_health_redis_up")).toBe(1);
    expect(sample(check, "micropod_health_check_deadline_seconds")).toBe(30);
    expect(promtool(join(metrics, SIDEKIQ_METRICS_FILE))).toEqual({ code: 0, out: "" });
    expect(promtool(join(metrics, CHECK_METRICS_FILE))).toEqual({ code: 0, out: "" });
  });

  it("a skipped check says so and how long the lock has been held; the Sidekiq file keeps the last sample", async () => {
    const metrics = join(dir, "textfile");
    const before = readFileSync(join(metrics, SIDEKIQ_METRICS_FILE), "utf8");
    const lock = await acquireLock(join(dir, "micropod.lock"), { verb: "start" });
    try {
      const r = await runHealthCheck(
        { runner: new ExecaRunner(), logger: silentLogger(), clock: systemClock, signal: new AbortController().signal },
        {
          targets: [{ containerName: NAME, tag: NAME, queues: [QUEUE], shutdownTimeout: 2 }],
          reader: new SidekiqStateReader(redis.client()),
          statePath: join(dir, "health.json"),
          lockPath: join(dir, "micropod.lock"),
          thresholds: { ...defaultThresholds, lockWaitMs: 100 },
          podmanEnv: sandbox.env,
          metrics: { dir: metrics, create: true },
        },
      );
      expect(r.skipped).toMatch(/is held by start/);
    } finally {
      await lock.release();
    }
    const check = readFileSync(join(metrics, CHECK_METRICS_FILE), "utf8");
    expect(sample(check, `micropod_health_check_outcome{outcome="skipped"}`)).toBe(1);
    expect(sample(check, `micropod_health_check_outcome{outcome="ok"}`)).toBe(0);
    expect(sample(check, "micropod_health_lock_held_seconds")).toBeGreaterThanOrEqual(0);
    expect(readFileSync(join(metrics, SIDEKIQ_METRICS_FILE), "utf8")).toBe(before);
    expect(promtool(join(metrics, CHECK_METRICS_FILE))).toEqual({ code: 0, out: "" });
  });
});
