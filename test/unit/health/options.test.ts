import { describe, expect, it } from "vitest";
import { alertmanagerUrl, toPostable } from "../../../src/health/alertmanager.js";
import { cronFileContent } from "../../../src/health/install.js";
import { sidekiqRedis } from "../../../src/health/redis-connection.js";
import { parseEvery } from "../../../src/health/schedule.js";
import { parseQueuesSpec } from "../../../src/health/targets.js";
import { checkBounds, defaultThresholds, thresholdsFrom } from "../../../src/health/thresholds.js";
import { SIDEKIQ_DEFAULT_SHUTDOWN_TIMEOUT, parseSidekiqArgs } from "../../../src/suite/sidekiq.js";

describe("the seed's QUEUES form", () => {
  it("names containers and their queues", () => {
    expect(parseQueuesSpec("ingress:mastodon-sidekiq-ingress-1 default:mastodon-sidekiq-default  mailers:mastodon-sidekiq-default")).toEqual([
      { containerName: "mastodon-sidekiq-ingress-1", queues: ["ingress"], tag: "mastodon-sidekiq-ingress-1", shutdownTimeout: 25 },
      { containerName: "mastodon-sidekiq-default", queues: ["default", "mailers"], tag: "mastodon-sidekiq-default", shutdownTimeout: 25 },
    ]);
  });
  it("assumes the shutdown timeout the suite assumes for a Sidekiq command without -t (one constant)", () => {
    const suiteDefault = parseSidekiqArgs(["-q", "pull"]).shutdownTimeout;
    expect(parseQueuesSpec("pull:mastodon-sidekiq-pull")[0]!.shutdownTimeout).toBe(suiteDefault);
    expect(SIDEKIQ_DEFAULT_SHUTDOWN_TIMEOUT).toBe(25);
  });
  it("refuses what it cannot read", () => {
    expect(() => parseQueuesSpec("ingress mastodon-sidekiq-pull")).toThrow("cannot read QUEUES");
    expect(() => parseQueuesSpec("  ")).toThrow("QUEUES names no container");
  });
});

describe("thresholds, intervals, Redis settings", () => {
  it("reads HEALTH_* seconds and counts over the defaults, and names every bad one", () => {
    expect(thresholdsFrom({ HEALTH_GRACE_SECONDS: "300", HEALTH_FAILING_SAMPLES: "3", HEALTH_STUCK_JOB_SECONDS: "0.5" })).toMatchObject({ graceMs: 300_000, failingSamples: 3, stuckJobMs: 500 });
    expect(() => thresholdsFrom({ HEALTH_FAILING_SAMPLES: "0", HEALTH_COOLDOWN_SECONDS: "soon" })).toThrow(expect.objectContaining({
      details: ["HEALTH_FAILING_SAMPLES=0: expected a whole number of at least 1", "HEALTH_COOLDOWN_SECONDS=soon: expected a number of seconds"],
    }));
  });
  it("turns --every into node-cron and crontab schedules", () => {
    expect(parseEvery("2m")).toEqual({ ms: 120_000, nodeCron: "0 */2 * * * *", crontab: "*/2 * * * *", text: "2m" });
    expect(parseEvery("30s")).toEqual({ ms: 30_000, nodeCron: "*/30 * * * * *", text: "30s" });
    expect(parseEvery("1h")).toEqual({ ms: 3_600_000, nodeCron: "0 0 * * * *", crontab: "0 * * * *", text: "1h" });
    expect(() => parseEvery("7m")).toThrow("--every 7m: expected an interval like 30s, 2m or 1h that divides a hour evenly");
  });
  it("connects where Mastodon's Sidekiq does", () => {
    expect(sidekiqRedis({ REDIS_HOST: "10.89.0.11", REDIS_PORT: "6379", SIDEKIQ_REDIS_PORT: "6380", REDIS_PASSWORD: "pw", REDIS_NAMESPACE: "mastodon" })).toMatchObject({
      options: { host: "10.89.0.11", port: 6380, db: 0, password: "pw" }, namespace: "mastodon", where: "10.89.0.11:6380/0",
    });
    expect(sidekiqRedis({ SIDEKIQ_REDIS_URL: "redis://:s3cret@[fd00:10:89::11]:6379/2" })).toMatchObject({ options: { host: "fd00:10:89::11", port: 6379, db: 2, password: "s3cret" }, where: "fd00:10:89::11:6379/2" });
  });
});

describe("schedule files and alerts", () => {
  it("writes a system crontab line for FreeBSD's cron.d", () => {
    expect(cronFileContent({ every: parseEvery("2m"), envFile: "/usr/local/etc/micropod/micropod.env", program: "/usr/local/bin/micropod" })).toBe(
      "# managed by micropod: `micropod health install` wrote this system crontab\n" +
        "# Changes here are replaced by `micropod prepare-host`; remove this line to keep your own version.\n" +
        "SHELL=/bin/sh\nPATH=/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin\n" +
        "*/2 * * * *\troot\t/usr/local/bin/micropod health check --env /usr/local/etc/micropod/micropod.env --every 2m >> /var/log/micropod-health.log 2>&1\n",
    );
    expect(() => cronFileContent({ every: parseEvery("30s"), envFile: "e", program: "p" })).toThrow("cron runs at most once a minute");
  });
  it("renders v2 alerts", () => {
    expect(alertmanagerUrl("10.0.0.5:9093")).toBe("http://10.0.0.5:9093/api/v2/alerts");
    expect(toPostable({ name: "SidekiqRestarted", severity: "warning", container: "c", summary: "s", description: "d" }, 0, 60_000, "host")).toEqual({
      labels: { alertname: "SidekiqRestarted", severity: "warning", instance: "host", service: "micropod-health", container: "c" },
      annotations: { summary: "s", description: "d" },
      startsAt: "1970-01-01T00:00:00.000Z",
      endsAt: "1970-01-01T00:01:00.000Z",
    });
  });
});

describe("the deadline and the schedule", () => {
  const pull = [{ containerName: "mastodon-sidekiq-pull", shutdownTimeout: 25 }];
  it("reads HEALTH_DEADLINE_SECONDS and the step bounds, in seconds", () => {
    expect(thresholdsFrom({ HEALTH_DEADLINE_SECONDS: "20", HEALTH_REDIS_TIMEOUT_SECONDS: "2.5", HEALTH_PODMAN_TIMEOUT_SECONDS: "8", HEALTH_SKIP_ALERT_SECONDS: "600" })).toMatchObject({
      deadlineMs: 20_000, redisTimeoutMs: 2500, podmanTimeoutMs: 8000, skipAlertMs: 600_000,
    });
    expect(defaultThresholds).toMatchObject({ deadlineMs: 30_000, redisTimeoutMs: 5000, podmanTimeoutMs: 10_000 });
  });
  it("accepts the defaults every 2 minutes: 30 s, or 96 s with a restart of a -t 25 container", () => {
    expect(() => checkBounds(defaultThresholds, parseEvery("2m"), pull)).not.toThrow();
  });
  it("refuses a deadline not below the interval, and an interval a restart does not fit in, naming every part", () => {
    expect(() => checkBounds({ ...defaultThresholds, deadlineMs: 120_000 }, parseEvery("2m"), pull)).toThrow(expect.objectContaining({
      message: "the health check would not always end before the next one is due",
      details: ["HEALTH_DEADLINE_SECONDS: 120 s must be above 0 and below the 2m interval of the checks"],
    }));
    expect(() => checkBounds(defaultThresholds, parseEvery("1m"), pull)).toThrow(expect.objectContaining({
      details: [
        "a check that restarts mastodon-sidekiq-pull may take 96 s (deadline 30 s + thread dump wait 11 s + podman stop timeout 35 s + 15 s to start it + 5 s to report), not below the 1m interval: choose a longer --every or lower HEALTH_DEADLINE_SECONDS / HEALTH_TTIN_WAIT_SECONDS",
      ],
    }));
  });
});

describe("Alertmanager addresses", () => {
  it("gives a bare MONITORHOST (the seed's crontab sets an IP address alone) Alertmanager's port 9093", () => {
    expect(alertmanagerUrl("192.0.2.5")).toBe("http://192.0.2.5:9093/api/v2/alerts");
    expect(alertmanagerUrl("[2001:db8::5]")).toBe("http://[2001:db8::5]:9093/api/v2/alerts");
    expect(alertmanagerUrl("am.example.org:19093")).toBe("http://am.example.org:19093/api/v2/alerts");
    expect(alertmanagerUrl("https://am.example.org/")).toBe("https://am.example.org/api/v2/alerts");
  });
});
