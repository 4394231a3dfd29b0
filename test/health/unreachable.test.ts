import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/logger.js";
import { ExecaRunner } from "../../src/core/runner.js";
import { runHealthCheck } from "../../src/health/check.js";
import { DeadlineError } from "../../src/health/deadline.js";
import { loadHealthState } from "../../src/health/health-state.js";
import { CHECK_METRICS_FILE, SIDEKIQ_METRICS_FILE } from "../../src/health/metrics.js";
import { sidekiqRedis } from "../../src/health/redis-connection.js";
import { SidekiqStateReader } from "../../src/health/sidekiq-state.js";
import { defaultThresholds } from "../../src/health/thresholds.js";
import { type RunningMicropod, spawnMicropod } from "../support/cli.js";
import { type PodmanSandbox, createPodmanSandbox } from "../support/podman-env.js";
import { requireTool } from "../support/require-tool.js";
import { type AlertmanagerServer, startAlertmanager } from "./alertmanager-server.js";
import { freePort } from "../support/free-port.js";
import { type SilentListener, startLoadingRedis, startRedis, startSilentListener } from "./redis-server.js";
import { startedAt } from "./sidekiq-worker.js";
import { tempDir } from "../support/temp.js";

// A check whose Redis cannot be read ends within its deadline, exits 9 with an error a person can
// act on, restarts nothing and leaves the lock free: against real sockets on loopback. The CLI is
// the real one (bin/micropod.js), so its exit codes and signal handling are what cron sees.
const DEADLINE_S = 5;
const TARGET = "mastodon-sidekiq-probe";

let sandbox: PodmanSandbox;
let dir: string;
let am: AlertmanagerServer;

beforeAll(async () => {
  sandbox = createPodmanSandbox();
  dir = tempDir("micropod-health-unreachable-");
  am = await startAlertmanager();
  // The container a restart would hit: its start time shows whether anything restarted it.
  sandbox.podman(["run", "--detach", "--name", TARGET, "--network", "host", "--rootfs", "/:O", "sleep", "3600"]);
});


/** A .env for one case: the suite's sample, Redis at `port`, data and state under its own dir. */
function envFor(name: string, port: number, extra: Record<string, string> = {}): { env: string; data: string } {
  const data = join(dir, name);
  const text = readFileSync(resolve("sample.env"), "utf8")
    .replace(/^REDIS_HOST=.*$/m, "REDIS_HOST=127.0.0.1")
    .replace(/^REDIS_PORT=.*$/m, `REDIS_PORT=${port}`)
    .replace(/^DATA_DIR=.*$/m, `DATA_DIR=${data}`)
    .replace(/^LOG_DIR=.*$/m, `LOG_DIR=${data}/log`);
  const env = join(dir, `${name}.env`);
  // sample.env writes some of these blank (REDIS_PASSWORD): a second line would be refused.
  let out = text;
  for (const [k, v] of Object.entries(extra)) out = new RegExp(`^${k}=.*$`, "m").test(out) ? out.replace(new RegExp(`^${k}=.*$`, "m"), `${k}=${v}`) : `${out}${k}=${v}\n`;
  writeFileSync(env, out);
  return { env, data };
}

function check(env: string, data: string, vars: Record<string, string> = {}): RunningMicropod {
  return spawnMicropod(["health", "check", "--env", env, "--queues", `pull:${TARGET}`], {
    env: {
      ...sandbox.env,
      HEALTH_DEADLINE_SECONDS: String(DEADLINE_S),
      HEALTH_REDIS_TIMEOUT_SECONDS: "1",
      HEALTH_METRICS_DIR: join(data, "metrics"),
      MONITORHOST: "",
      INSTANCE: "",
      ...vars,
    },
  });
}

/**
 * What every unreadable-Redis check must show: exit 9, the plain error, nothing restarted, the
 * lock free. "In time" needs no clock: a check that overran would have ended at its deadline,
 * with exit 11 and the deadline's message instead.
 */
async function expectUnavailable(run: RunningMicropod, data: string, message: string): Promise<void> {
  const before = startedAt(sandbox, TARGET);
  const r = await run.done;
  expect(r.stderr).toContain(`micropod: ${message}\n`);
  expect(r.code).toBe(9);
  expect(existsSync(join(data, "state", "micropod.lock"))).toBe(false);
  expect(startedAt(sandbox, TARGET)).toBe(before);
  const state = await loadHealthState(join(data, "state", "health.json"));
  expect(state.events.filter((e) => e.kind.startsWith("restart"))).toEqual([]);
  expect(state.redis?.lastError).toBe(message);
}

describe("a check that cannot read Redis, through the real CLI", () => {
  it("refused: a port nobody listens on", async () => {
    const port = await freePort();
    const { env, data } = envFor("refused", port);
    await expectUnavailable(check(env, data), data, `cannot reach Redis at 127.0.0.1:${port} (connection refused): is the redis container running? See \`micropod status\``);
    // The metrics say so too, in a form Prometheus' own parser accepts.
    requireTool("promtool", "prometheus");
    const checkFile = join(data, "metrics", CHECK_METRICS_FILE);
    expect(readFileSync(checkFile, "utf8")).toMatch(/^micropod_health_check_outcome\{outcome="redis_unavailable"\} 1$/m);
    expect(readFileSync(checkFile, "utf8")).toMatch(/^micropod_health_redis_up 0$/m);
    expect(readFileSync(join(data, "metrics", SIDEKIQ_METRICS_FILE), "utf8")).toBe("");
    execFileSync("promtool", ["check", "metrics"], { input: readFileSync(checkFile) });
  });

  it("no answer: a listener that accepts and never answers", async () => {
    const silent = await startSilentListener();
    const { env, data } = envFor("silent", silent.port);
    await expectUnavailable(check(env, data), data, `cannot reach Redis at 127.0.0.1:${silent.port} (no answer within 1 s): is the redis container running? See \`micropod status\``);
  });

  it("a Redis with requirepass, given no password, then the wrong one", async () => {
    const redis = await startRedis({ password: "right-one" });
    const none = envFor("nopass", redis.port);
    await expectUnavailable(
      check(none.env, none.data),
      none.data,
      `Redis at 127.0.0.1:${redis.port} requires a password and micropod was given none (NOAUTH): set REDIS_PASSWORD (or SIDEKIQ_REDIS_PASSWORD, or the password in SIDEKIQ_REDIS_URL) in the .env, as Mastodon's Sidekiq has it`,
    );
    const wrong = envFor("wrongpass", redis.port, { REDIS_PASSWORD: "wrong-one" });
    await expectUnavailable(
      check(wrong.env, wrong.data),
      wrong.data,
      `Redis at 127.0.0.1:${redis.port} refused the password (WRONGPASS): REDIS_PASSWORD (or SIDEKIQ_REDIS_PASSWORD, or the password in SIDEKIQ_REDIS_URL) does not match Redis' requirepass or ACL user`,
    );
  });

  it("a Redis still loading its dataset (LOADING)", async () => {
    const redis = await startLoadingRedis();
    const { env, data } = envFor("loading", redis.port);
    await expectUnavailable(check(env, data), data, `Redis at 127.0.0.1:${redis.port} is loading its dataset into memory (LOADING): nothing to do; the next check reads it once it is loaded`);
  });

  it("a Sidekiq layout it does not know", async () => {
    const redis = await startRedis();
    const c = redis.client();
    await c.sadd("processes", "worker-1:7:abc");
    await c.hset("worker-1:7:abc", { info: "not json", busy: "0", beat: String(Date.now() / 1000) });
    const { env, data } = envFor("layout", redis.port);
    const r = check(env, data);
    await expectUnavailable(r, data, `Redis at 127.0.0.1:${redis.port} holds a Sidekiq layout micropod does not know: process worker-1:7:abc: its "info" field is not a JSON object`);
    expect((await r.done).stderr).toContain("micropod reads what Sidekiq 6.5 to 8.1 write (Mastodon 4.3 to 4.6)");
    await c.flushdb();
    await c.set("processes", "a string where Sidekiq keeps a set");
    const again = envFor("layout-type", redis.port);
    const second = check(again.env, again.data);
    expect((await second.done).stderr).toMatch(/holds a Sidekiq layout micropod does not know: a key Sidekiq uses holds another type \(WRONGTYPE/);
  });

  it("SIGTERM in the middle of a read ends the check at once, exit 130, lock free", async () => {
    const silent = await startSilentListener();
    const { env, data } = envFor("sigterm", silent.port);
    // Bounds far away (20 s for Redis, 25 s for the check): only the signal can end it early.
    const run = check(env, data, { HEALTH_REDIS_TIMEOUT_SECONDS: "20", HEALTH_DEADLINE_SECONDS: "25" });
    await silent.received; // the check has connected and waits for Redis' answer
    const killedAt = Date.now();
    run.kill("SIGTERM");
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("micropod: SIGTERM received: stopping now, even in the middle of a Redis read (Ctrl-C again to quit at once)\n");
    expect(r.stderr).toContain("micropod: interrupted by SIGTERM\n");
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(existsSync(join(data, "state", "micropod.lock"))).toBe(false);
    expect(readFileSync(join(data, "metrics", CHECK_METRICS_FILE), "utf8")).toMatch(/^micropod_health_check_outcome\{outcome="interrupted"\} 1$/m);
  });

  it("the deadline stops a step that overran, says which, exits 11, lock free", async () => {
    // Redis refuses and the one alert goes to an Alertmanager that never answers: the post
    // (5 s timeout of its own) is still under way when the 4 s deadline passes.
    const silent = await startSilentListener();
    const port = await freePort();
    const { env, data } = envFor("deadline", port);
    const r = await check(env, data, { HEALTH_DEADLINE_SECONDS: "4", HEALTH_FAILING_SAMPLES: "1", MONITORHOST: `127.0.0.1:${silent.port}` }).done;
    expect(r.stderr).toContain("micropod: health check stopped at its 4 s deadline while posting 1 alert(s) to Alertmanager\n");
    expect(r.code).toBe(11);
    expect(existsSync(join(data, "state", "micropod.lock"))).toBe(false);
    expect(readFileSync(join(data, "metrics", CHECK_METRICS_FILE), "utf8")).toMatch(/^micropod_health_check_outcome\{outcome="deadline"\} 1$/m);
  });

  it("two consecutive unreadable checks alert through a real Alertmanager, labelled with INSTANCE; the first does not", async () => {
    const port = await freePort();
    const { env, data } = envFor("alert", port);
    const vars = { MONITORHOST: `127.0.0.1:${am.port}`, INSTANCE: "192.0.2.7" };
    const mine = async () => (await am.alerts()).filter((a) => a.labels.alertname === "SidekiqRedisUnavailable" && a.labels.instance === "192.0.2.7");
    expect((await check(env, data, vars).done).code).toBe(9);
    expect(await mine()).toEqual([]);
    expect((await check(env, data, vars).done).code).toBe(9);
    const alerts = await mine();
    expect(alerts.map((a) => [a.labels, a.annotations.summary, a.status.state])).toEqual([
      [{ alertname: "SidekiqRedisUnavailable", severity: "critical", instance: "192.0.2.7", service: "micropod-health" }, `Sidekiq's state cannot be read from Redis at 127.0.0.1:${port}`, "active"],
    ]);
    expect(alerts[0]!.annotations.description).toMatch(
      new RegExp(`^cannot reach Redis at 127\\.0\\.0\\.1:${port} \\(connection refused\\): .* \\(2 checks in a row since \\S+\\); nothing was restarted: without Redis the check cannot see the workers$`),
    );
    expect((await loadHealthState(join(data, "state", "health.json"))).redis?.failing).toBe(2);
  });
});

describe("the deadline, in the library", () => {
  let silent: SilentListener;
  let redis: Redis;
  beforeAll(async () => {
    silent = await startSilentListener();
  });
  afterAll(() => redis?.disconnect());

  it("aborts a Redis read that outlives it, names the step, and frees the lock", async () => {
    // A Redis bound longer than the deadline (setup refuses that; here it shows the backstop).
    const conn = sidekiqRedis({ REDIS_HOST: "127.0.0.1", REDIS_PORT: String(silent.port) }, 60_000);
    redis = new Redis(conn.options);
    redis.on("error", () => {});
    const lockPath = join(dir, "library", "micropod.lock");
    const err = await runHealthCheck(
      { runner: new ExecaRunner(), logger: silentLogger(), clock: systemClock, signal: new AbortController().signal },
      {
        targets: [{ containerName: TARGET, tag: TARGET, queues: ["pull"], shutdownTimeout: 2 }],
        reader: new SidekiqStateReader(redis),
        statePath: join(dir, "library", "health.json"),
        lockPath,
        thresholds: { ...defaultThresholds, deadlineMs: 1500, redisTimeoutMs: 60_000 },
        podmanEnv: sandbox.env,
      },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineError);
    expect((err as DeadlineError).message).toMatch(/^health check stopped at its 1\.5 s deadline while /);
    expect((err as DeadlineError).steps).toContain(`reading Sidekiq's state from Redis at 127.0.0.1:${silent.port}`);
    expect((err as DeadlineError).exitCode).toBe(11);
    expect(existsSync(lockPath)).toBe(false);
  });
});
