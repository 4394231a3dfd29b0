import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { SidekiqStateReader } from "../../src/health/sidekiq-state.js";
import { defaultThresholds } from "../../src/health/thresholds.js";
import { judge } from "../../src/health/verdict.js";
import { type Layout, pushJob, writeProcess } from "./layouts.js";
import { type RedisServer, startRedis } from "./redis-server.js";

let server: RedisServer;
let redis: Redis;
let reader: SidekiqStateReader;
const NOW_S = 1_790_000_000;

beforeAll(async () => {
  server = await startRedis();
  redis = server.client();
  reader = new SidekiqStateReader(server.client());
});
beforeEach(async () => void (await redis.flushdb()));

describe("reading each Sidekiq layout Mastodon 4.3 to 4.6 writes, through the one-round-trip script", () => {
  for (const [layout, namespace] of [["6.5", "mastodon"], ["7.3", ""], ["8.0", ""], ["8.1.2", ""]] as [Layout, string][]) {
    it(`Sidekiq ${layout}${namespace ? ` under REDIS_NAMESPACE=${namespace}` : ""}`, async () => {
      await writeProcess(redis, layout, {
        identity: "sidekiq-pull:7:0a1b2c",
        tag: "mastodon-sidekiq-pull",
        queues: ["pull"],
        concurrency: 2,
        beatS: NOW_S - 4,
        jobs: { t1: ["jid-a", NOW_S - 400], t2: ["jid-b", NOW_S - 350] },
      }, namespace);
      await pushJob(redis, layout, "pull", NOW_S - 130.5, namespace);
      await pushJob(redis, layout, "pull", NOW_S - 2, namespace);
      await redis.sadd(namespace ? `${namespace}:processes` : "processes", "sidekiq-old:9:ffff");

      const snap = await reader.read(namespace ? { namespace, queues: ["pull", "fasp"] } : { queues: ["pull", "fasp"] });
      expect(snap).toEqual({
        processes: [
          {
            identity: "sidekiq-pull:7:0a1b2c",
            tag: "mastodon-sidekiq-pull",
            hostname: "sidekiq",
            pid: 7,
            startedAtMs: (NOW_S - 104) * 1000,
            queues: ["pull"],
            concurrency: 2,
            busy: 2,
            beatMs: (NOW_S - 4) * 1000,
            quiet: false,
            rssKb: 123456,
            jobs: [
              { thread: "t1", queue: "pull", jid: "jid-a", className: "Stuck", runAtMs: (NOW_S - 400) * 1000 },
              { thread: "t2", queue: "pull", jid: "jid-b", className: "Stuck", runAtMs: (NOW_S - 350) * 1000 },
            ],
          },
        ],
        ghosts: ["sidekiq-old:9:ffff"],
        queues: [
          { name: "pull", size: 2, oldestEnqueuedAtMs: (NOW_S - 130.5) * 1000 },
          { name: "fasp", size: 0 },
        ],
      });
      const target = { containerName: "mastodon-sidekiq-pull", tag: "mastodon-sidekiq-pull", queues: ["pull"], shutdownTimeout: 25 };
      const j = judge(snap, [target], {}, defaultThresholds, NOW_S * 1000);
      expect(j.verdicts[0]?.reasons.map((r) => r.message)).toEqual(["all 2 threads busy on the same jobs for over 346 s (limit 300 s)"]);
      expect(j.verdicts[0]?.memory.latencyMs).toEqual({ pull: 130_500 });
    });
  }

  it("reads the `:workers` hash of Sidekiq 6.4.1 and older", async () => {
    await writeProcess(redis, "6.5", { identity: "h:1:aa", tag: "mastodon-sidekiq-push", queues: ["push"], concurrency: 1, beatS: NOW_S });
    await redis.hset("h:1:aa:workers", "tid", JSON.stringify({ queue: "push", payload: JSON.stringify({ jid: "x", class: "PushJob" }), run_at: NOW_S - 10 }));
    const snap = await reader.read();
    expect(snap.processes[0]?.jobs).toEqual([{ thread: "tid", queue: "push", jid: "x", className: "PushJob", runAtMs: (NOW_S - 10) * 1000 }]);
  });

  it("reports a queue nobody serves, and a namespace's keys only under that namespace", async () => {
    await pushJob(redis, "7.3", "fasp", NOW_S - 10);
    await pushJob(redis, "7.3", "other", NOW_S - 10, "mastodon");
    const snap = await reader.read();
    expect(snap.queues.map((q) => q.name)).toEqual(["fasp"]);
    expect(judge(snap, [], {}, defaultThresholds, NOW_S * 1000).unserved).toEqual([{ queue: "fasp", size: 1, latencyMs: 10_000 }]);
  });

  it("costs one round trip once the script is cached", async () => {
    await writeProcess(redis, "8.0", { identity: "a:1:b", tag: "t", queues: ["default"], concurrency: 5, beatS: NOW_S });
    await reader.read();
    // MONITOR shows what clients send and, tagged "lua", what scripts call on the server.
    const monitor = await server.client().monitor();
    const sent: string[] = [];
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      if (!source.startsWith("lua")) sent.push(args[0]!.toLowerCase());
    });
    await reader.read();
    await redis.ping();
    // The ping marks the end: Redis feeds a command to monitors before it answers, but the monitor
    // connection may read it later than the ping's answer arrives on a loaded host.
    for (const deadline = Date.now() + 5000; !sent.includes("ping") && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    monitor.disconnect();
    expect(sent).toEqual(["evalsha", "ping"]);
  });
});
