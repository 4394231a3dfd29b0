// Health benchmark (issue 6): one `micropod health check` against a real redis-server holding
// 20 Sidekiq processes (25 threads, 10 busy each, with their work hashes) and Mastodon's 7 queues
// (100 jobs each). Measures the time of a whole check after start-up — the lock, the Redis read,
// verdicts, policy, the atomic state write — and counts the Redis round trips with MONITOR.
// `podman ps` is answered from memory: its own cost is podman's, not the check's.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { runHealthCheck } from "../../dist/health/check.js";
import { SidekiqStateReader } from "../../dist/health/sidekiq-state.js";
import { defaultThresholds } from "../../dist/health/thresholds.js";
import { silentLogger } from "../../dist/core/logger.js";
import { systemClock } from "../../dist/core/clock.js";

export const title = "health: one check, 20 Sidekiq processes and 7 queues in a real Redis";

const QUEUES = ["default", "push", "ingress", "mailers", "pull", "scheduler", "fasp"];
const PROCESSES = 20;
const CHECKS = 200;

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function fill(redis, nowS) {
  const m = redis.multi();
  for (let i = 0; i < PROCESSES; i++) {
    const identity = `sidekiq-${i}:1:${i.toString(16).padStart(12, "0")}`;
    const queue = QUEUES[i % QUEUES.length];
    const tag = `mastodon-sidekiq-bench-${i}`;
    m.sadd("processes", identity);
    m.hset(identity, {
      info: JSON.stringify({ hostname: `sidekiq-${i}`, started_at: nowS - 3600, pid: 1, tag, concurrency: 25, queues: [queue], labels: [], identity }),
      busy: "10", beat: String(nowS - 2), quiet: "false", rss: "250000", rtt_us: "90",
    });
    for (let t = 0; t < 10; t++) {
      const payload = JSON.stringify({ class: "ActivityPub::ProcessingWorker", args: [i, t, "x".repeat(200)], queue, jid: `${i}-${t}`, enqueued_at: nowS - 5 });
      m.hset(`${identity}:work`, `tid-${t}`, JSON.stringify({ queue, payload, run_at: nowS - 3 }));
    }
  }
  for (const q of QUEUES) {
    m.sadd("queues", q);
    for (let j = 0; j < 100; j++) m.lpush(`queue:${q}`, JSON.stringify({ class: "Job", args: [j, "y".repeat(300)], queue: q, jid: `${q}-${j}`, enqueued_at: nowS - 1 }));
  }
  await m.exec();
}

export async function run(report) {
  const dir = mkdtempSync(join(tmpdir(), "micropod-bench-health-"));
  const port = await freePort();
  const server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], { stdio: "ignore" });
  const redis = new Redis({ host: "127.0.0.1", port });
  redis.on("error", () => {}); // refused until the server listens; ioredis reconnects
  for (let i = 0; ; i++) {
    try { await redis.ping(); break; } catch (e) { if (i > 50) throw e; await new Promise((r) => setTimeout(r, 100)); }
  }
  const monitorClient = new Redis({ host: "127.0.0.1", port });
  try {
    const nowS = Date.now() / 1000;
    await fill(redis, nowS);
    const targets = Array.from({ length: PROCESSES }, (_, i) => ({ containerName: `mastodon-sidekiq-bench-${i}`, tag: `mastodon-sidekiq-bench-${i}`, queues: [QUEUES[i % QUEUES.length]], concurrency: 25, shutdownTimeout: 25 }));
    const ps = JSON.stringify(targets.map((t) => ({ Names: [t.containerName], State: "running", StartedAt: Math.floor(nowS) - 3600 })));
    const runner = { run: async () => ({ exitCode: 0, stdout: ps, stderr: "" }) };
    const checkRedis = new Redis({ host: "127.0.0.1", port, lazyConnect: true, enableReadyCheck: false });
    const opts = { targets, reader: new SidekiqStateReader(checkRedis), statePath: join(dir, "health.json"), lockPath: join(dir, "micropod.lock"), thresholds: defaultThresholds };
    const ctx = { runner, logger: silentLogger(), clock: systemClock };

    const t0 = performance.now();
    const first = await runHealthCheck(ctx, opts);
    report("first check (connect, script load)", `${(performance.now() - t0).toFixed(1)} ms`);
    if (first.verdicts.filter((v) => v.status === "healthy").length !== PROCESSES) throw new Error("bench data should read as 20 healthy processes");
    for (let i = 0; i < 5; i++) await runHealthCheck(ctx, opts);

    // Timed without MONITOR: its stream of script calls costs this process CPU.
    const times = [];
    for (let i = 0; i < CHECKS; i++) {
      const s = performance.now();
      await runHealthCheck(ctx, opts);
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    const p95 = times[Math.floor(times.length * 0.95)];
    report(`check after start-up, median of ${CHECKS}`, `${median.toFixed(2)} ms`, { ok: median < 50, text: "< 50 ms" });
    report("check after start-up, p95", `${p95.toFixed(2)} ms`);
    const read = [];
    for (let i = 0; i < CHECKS; i++) {
      const s = performance.now();
      await opts.reader.read({ queues: QUEUES });
      read.push(performance.now() - s);
    }
    read.sort((a, b) => a - b);
    report("of which the Redis read, median", `${read[Math.floor(read.length / 2)].toFixed(2)} ms`);

    const monitor = await monitorClient.monitor();
    let sent = 0;
    monitor.on("monitor", (_t, _args, source) => { if (!String(source).startsWith("lua")) sent++; });
    const COUNTED = 20;
    for (let i = 0; i < COUNTED; i++) await runHealthCheck(ctx, opts);
    await new Promise((r) => setTimeout(r, 200));
    monitor.disconnect();
    const perCheck = sent / COUNTED;
    report("Redis round trips per check (MONITOR)", perCheck.toFixed(2), { ok: perCheck === 1, text: "1" });
    checkRedis.disconnect();
  } finally {
    monitorClient.disconnect();
    redis.disconnect();
    server.kill("SIGTERM");
    await new Promise((r) => server.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
}
