import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../src/cli.js";
import { newsyslogRule } from "../../src/host/resources/logs.js";
import { type PodmanSandbox, createPodmanSandbox } from "../support/podman-env.js";
import { type AlertmanagerServer, startAlertmanager } from "./alertmanager-server.js";
import { type RedisServer, startRedis } from "./redis-server.js";
import { tempDir } from "../support/temp.js";

let redis: RedisServer;
let am: AlertmanagerServer;
let sandbox: PodmanSandbox;
let dir: string;
let envFile: string;
const saved = { conf: process.env.CONTAINERS_CONF, storage: process.env.CONTAINERS_STORAGE_CONF, metrics: process.env.HEALTH_METRICS_DIR };

/** Run with these environment variables set (the crontab line's, in the seed's case), then put back. */
async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

async function micropod(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const chunks: string[] = [];
  const errs: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((c: string | Uint8Array) => (chunks.push(String(c)), true));
  const spyErr = vi.spyOn(process.stderr, "write").mockImplementation((c: string | Uint8Array) => (errs.push(String(c)), true));
  try {
    const code = await main(["node", "micropod", "--json", ...args]);
    return { code, out: chunks.join(""), err: errs.join("") };
  } finally {
    spy.mockRestore();
    spyErr.mockRestore();
  }
}

beforeAll(async () => {
  redis = await startRedis();
  am = await startAlertmanager();
  sandbox = createPodmanSandbox();
  // The check's `podman ps` goes to the sandbox, never to the machine's podman.
  process.env.CONTAINERS_CONF = sandbox.env.CONTAINERS_CONF;
  process.env.CONTAINERS_STORAGE_CONF = sandbox.env.CONTAINERS_STORAGE_CONF;
  dir = tempDir("micropod-health-cli-");
  // Not the machine's node_exporter directory (/var/tmp/node_exporter), which the check writes to when it exists.
  process.env.HEALTH_METRICS_DIR = join(dir, "metrics");
  envFile = join(dir, "micropod.env");
  const sample = readFileSync(resolve("sample.env"), "utf8")
    .replace(/^REDIS_HOST=.*$/m, "REDIS_HOST=127.0.0.1")
    .replace(/^REDIS_PORT=.*$/m, `REDIS_PORT=${redis.port}`)
    .replace(/^DATA_DIR=.*$/m, `DATA_DIR=${dir}/data`)
    .replace(/^LOG_DIR=.*$/m, `LOG_DIR=${dir}/log`);
  writeFileSync(envFile, sample);
});

afterAll(() => {
  for (const [name, value] of [["CONTAINERS_CONF", saved.conf], ["CONTAINERS_STORAGE_CONF", saved.storage], ["HEALTH_METRICS_DIR", saved.metrics]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe("micropod health verbs", () => {
  it("check names containers the seed's way, alerts on a missing one and an unserved queue; status shows it", async () => {
    const client = redis.client();
    await client.sadd("queues", "fasp");
    await client.lpush("queue:fasp", JSON.stringify({ class: "X", queue: "fasp", jid: "1", enqueued_at: Date.now() / 1000 - 30 }));
    // MONITORHOST and INSTANCE as the seed's crontab line sets them: in the environment.
    const r = await withEnv({ MONITORHOST: `127.0.0.1:${am.port}`, INSTANCE: "203.0.113.5" }, () =>
      micropod("health", "check", "--env", envFile, "--queues", "pull:mastodon-sidekiq-gone"),
    );
    expect({ code: r.code, out: r.out }).toEqual({
      code: 0,
      out: "mastodon-sidekiq-gone  absent  alert  container does not exist\nqueue fasp: 1 jobs, nobody serves it\n",
    });
    const posted = (await am.alerts()).map((a) => [a.labels.alertname, a.labels.instance]).sort();
    expect(posted).toEqual([
      ["SidekiqContainerNotRunning", "203.0.113.5"],
      ["SidekiqQueueUnserved", "203.0.113.5"],
    ]);
    const status = await micropod("health", "status", "--env", envFile);
    expect(status.code).toBe(0);
    expect(status.out).toMatch(/^last check: \S+ \(\d+ s ago\)\n\nCONTAINER +STATUS +FAILING +RESTARTS\/1H +LAST RESTART +REASONS\nmastodon-sidekiq-gone +absent +0 +0 +- +-\n\nrecent events:\n/);
    expect(status.out).toMatch(/alert +mastodon-sidekiq-gone: container does not exist\n.*alert +queue fasp holds 1 jobs \(oldest 3\d s\) and no Sidekiq process serves it\n$/);
  });

  it("install writes the cron.d file once, and refuses a file micropod did not write", async () => {
    const root = join(dir, "root");
    const first = await micropod("health", "install", "--env", envFile, "--root", root);
    expect({ code: first.code, out: first.out }).toEqual({ code: 0, out: "wrote /usr/local/etc/cron.d/micropod-health: micropod health check every 2m\n" });
    expect(readFileSync(join(root, "usr/local/etc/cron.d/micropod-health"), "utf8")).toContain(
      `*/2 * * * *\troot\t/usr/local/bin/micropod health check --env ${envFile} --every 2m >> /var/log/micropod-health.log 2>&1\n`,
    );
    expect((await micropod("health", "install", "--env", envFile, "--root", root)).out).toBe("/usr/local/etc/cron.d/micropod-health is up to date\n");
    writeFileSync(join(root, "usr/local/etc/cron.d/micropod-health"), "*/5 * * * * root /my/own\n");
    expect((await micropod("health", "install", "--env", envFile, "--root", root)).code).toBe(1);
    expect(readFileSync(join(root, "usr/local/etc/cron.d/micropod-health"), "utf8")).toBe("*/5 * * * * root /my/own\n");
  });

  it("refuses a bad QUEUES form with a usage error", async () => {
    expect((await micropod("health", "check", "--env", envFile, "--queues", "nonsense")).code).toBe(2);
  });

  it("the cron line appends to the very file prepare-host's newsyslog rule rotates, whatever LOG_DIR says", async () => {
    const root = join(dir, "root-rotation");
    expect((await micropod("health", "install", "--env", envFile, "--root", root)).code).toBe(0);
    const cron = readFileSync(join(root, "usr/local/etc/cron.d/micropod-health"), "utf8");
    const written = />> (\S+) 2>&1$/m.exec(cron)?.[1];
    // The rotation rule of the health log is the one that signals the health watcher's supervisor.
    const rotated = newsyslogRule(`${dir}/log`).split("\n").find((l) => l.includes("/var/run/micropod_health.pid"))?.split(/\s+/)[0];
    expect(written).toBeDefined();
    expect(written).toBe(rotated);
  });

  it("install refuses an interval the check's deadline does not fit in, writing nothing", async () => {
    const root = join(dir, "root-deadline");
    const r = await withEnv({ HEALTH_DEADLINE_SECONDS: "120" }, () => micropod("health", "install", "--env", envFile, "--root", root, "--every", "2m"));
    expect(r.code).toBe(2);
    expect(r.err).toContain("micropod: the health check would not always end before the next one is due\n  HEALTH_DEADLINE_SECONDS: 120 s must be above 0 and below the 2m interval of the checks\n");
    expect(() => readFileSync(join(root, "usr/local/etc/cron.d/micropod-health"))).toThrow(/ENOENT/);
  });

  it("a check skipped because the lock is held exits 7, not 0; held too long, it alerts", async () => {
    const lockPath = join(dir, "data", "state", "micropod.lock");
    mkdirSync(join(dir, "data", "state"), { recursive: true });
    // `micropod start` (this very process, so the lock is live) has held the lock for 20 minutes.
    const since = new Date(Date.now() - 20 * 60_000).toISOString();
    writeFileSync(lockPath, `${JSON.stringify({ pid: process.pid, verb: "start", host: hostname(), since })}\n`);
    try {
      const r = await withEnv({ HEALTH_LOCK_WAIT_SECONDS: "0.2", MONITORHOST: `127.0.0.1:${am.port}`, INSTANCE: "203.0.113.5" }, () =>
        micropod("health", "check", "--env", envFile, "--queues", "pull:mastodon-sidekiq-gone"),
      );
      expect(r.code).toBe(7);
      expect(r.out).toBe("");
      expect(r.err).toContain(`micropod: health check skipped: ${lockPath} is held by start (pid ${process.pid}, since ${since}); try again when it has finished\n`);
      const skipped = (await am.alerts()).filter((a) => a.labels.alertname === "MicropodHealthSkipped");
      expect(skipped.map((a) => [a.labels.severity, a.labels.instance, a.annotations.summary])).toEqual([["warning", "203.0.113.5", "health checks skipped for 20 min: the lock is held by start"]]);
      expect(readFileSync(lockPath, "utf8")).toContain(`"since":"${since}"`); // not touched
    } finally {
      rmSync(lockPath, { force: true });
    }
  });
});
