import { type ChildProcess, spawnSync } from "node:child_process";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig, persistGeneratedSecrets } from "../../src/config/load.js";
import type { MicropodConfig } from "../../src/config/model.js";
import { renderCommand } from "../../src/core/command.js";
import { silentLogger } from "../../src/core/logger.js";
import { Redactor } from "../../src/core/redact.js";
import { emptyObservedState } from "../../src/engine/observe.js";
import { planStart } from "../../src/engine/plan.js";
import { parseEvery } from "../../src/health/schedule.js";
import { healthSetup } from "../../src/health/setup.js";
import { loadSuite } from "../../src/suite/load.js";
import type { Suite } from "../../src/suite/model.js";
import { freePort } from "../support/free-port.js";
import { startRedisEntrypoint } from "./redis-entrypoint.js";
import { tempDir } from "../support/temp.js";

/**
 * The redis image's entrypoint, run for real: Debian's redis-server as the redis user, on the
 * redis.conf the entrypoint renders from exactly the environment and secrets compose.yaml gives
 * the redis service, with the REDIS_PASSWORD a fresh configuration generates (persisted as
 * `micropod start` persists it). It refuses every command until AUTH, accepts the generated
 * password, the compose healthcheck passes without the password in any argv, and micropod's
 * health check reads Redis with the password it finds in secrets.env. Listens on 127.0.0.1 only,
 * on a free port (the image's REDIS_BIND and REDIS_PORT knobs).
 */
const repo = resolve(import.meta.dirname, "../..");
const containerfiles = join(repo, "containerfiles");
const compose = join(containerfiles, "compose.yaml");

let work: string;
let port: number;
let config: MicropodConfig;
let suite: Suite;
let server: ChildProcess;
const clients: Redis[] = [];

/** sample.env, with Redis on loopback at `port` and every path under the test's directory. */
function envFile(): string {
  const text = readFileSync(join(repo, "sample.env"), "utf8")
    .replace(/^REDIS_HOST=.*$/m, "REDIS_HOST=127.0.0.1")
    .replace(/^REDIS_PORT=.*$/m, `REDIS_PORT=${port}`)
    .replace(/^DATA_DIR=.*$/m, `DATA_DIR=${join(work, "micropod")}`)
    .replace(/^LOG_DIR=.*$/m, `LOG_DIR=${join(work, "log")}`);
  const file = join(work, "micropod.env");
  writeFileSync(file, text);
  return file;
}

/** The environment podman gives the redis container: its `environment:` plus its env secrets. */
function redisContainerEnv(): Record<string, string> {
  const svc = suite.services.get("redis")!;
  const env: Record<string, string> = { ...svc.environment };
  for (const s of svc.secrets) {
    expect(s.type).toBe("env");
    env[s.target] = config.vars[suite.secrets.get(s.source)!.environment!]!;
  }
  return env;
}

const client = (password?: string) => {
  const c = new Redis({ host: "127.0.0.1", port, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null, ...(password !== undefined ? { password } : {}) });
  c.on("error", () => {});
  clients.push(c);
  return c;
};

beforeAll(async () => {
  work = tempDir("micropod-redis-conf-");
  // The redis user reads its configuration and writes its data here.
  chmodSync(work, 0o755);
  port = await freePort();
  const env = envFile();
  config = await loadConfig(env);
  expect(config.generatedSecrets).toContain("REDIS_PASSWORD");
  suite = await loadSuite(compose, config.vars);

  server = await startRedisEntrypoint(join(work, "conf"), port, redisContainerEnv());
});

afterAll(() => {
  for (const c of clients) c.disconnect();
});

describe("the suite's Redis with its generated password", () => {
  it("renders requirepass into a config only redis' group can read, and runs redis-server without the password in its argv", () => {
    const file = join(work, "conf", "redis.conf");
    const text = readFileSync(file, "utf8");
    expect(text).toContain(`\nrequirepass "${config.vars.REDIS_PASSWORD}"\n`);
    expect(text).toContain("\nbind 127.0.0.1\n");
    const st = statSync(file);
    expect(st.mode & 0o777).toBe(0o640);
    const redisGid = Number(spawnSync("id", ["-g", "redis"], { encoding: "utf8" }).stdout.trim());
    expect(st.gid).toBe(redisGid);
    // The entrypoint execs redis-server in its own process: its command line is the container's.
    const cmdline = readFileSync(`/proc/${server.pid}/cmdline`, "utf8").split("\0").join(" ");
    expect(cmdline).toContain("redis-server");
    expect(cmdline).not.toContain(config.vars.REDIS_PASSWORD);
  });

  it("refuses every command without the password and accepts the generated one", async () => {
    const anonymous = client();
    await anonymous.connect();
    await expect(anonymous.ping()).rejects.toThrow(/^NOAUTH Authentication required/);
    await expect(anonymous.set("k", "v")).rejects.toThrow(/^NOAUTH/);
    await expect(anonymous.auth("not-the-password")).rejects.toThrow(/^WRONGPASS/);
    const authed = client(config.vars.REDIS_PASSWORD);
    await authed.connect();
    expect(await authed.ping()).toBe("PONG");
    expect(await authed.set("k", "v")).toBe("OK");
    // redis-cli with the password in REDISCLI_AUTH, as the healthcheck runs it.
    const cli = spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "get", "k"], { env: { ...process.env, REDISCLI_AUTH: config.vars.REDIS_PASSWORD }, encoding: "utf8" });
    expect(cli.stdout.trim()).toBe("v");
  });

  it("takes a password written in the .env as it is: quotes, backslashes and spaces included", async () => {
    const password = `it's a "quoted" back\\slash \\x41 pass`;
    const at = await freePort();
    await startRedisEntrypoint(join(work, "conf-quoted"), at, { ...redisContainerEnv(), REDIS_PASSWORD: password });
    const c = new Redis({ host: "127.0.0.1", port: at, lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null, password });
    c.on("error", () => {});
    clients.push(c);
    await c.connect();
    expect(await c.ping()).toBe("PONG");
  });

  it("passes the compose healthcheck, whose argv carries no password", () => {
    const plan = planStart(suite, { vars: config.vars, secretNames: config.secretNames }, emptyObservedState());
    const probe = plan.containers.find((c) => c.service === "redis")!.readiness.probe!;
    const rendered = renderCommand(probe, new Redactor());
    expect(rendered).not.toContain(config.vars.REDIS_PASSWORD);
    expect(probe.argv.slice(0, 4)).toEqual(["podman", "exec", "mastodon-redis", "/bin/sh"]);
    // The probe as podman exec runs it in the container, here against this Redis's port.
    const argv = probe.argv.slice(3);
    expect(argv.filter((a) => a.includes("-p 6379 "))).toHaveLength(1);
    const check = (env: Record<string, string>) =>
      spawnSync(argv[0]!, argv.slice(1).map((a) => a.replace("-p 6379 ", `-p ${port} `)), { env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8" });
    const pass = check(redisContainerEnv());
    expect([pass.status, pass.stdout.trim().split("\n").at(-1)]).toEqual([0, "micropod-check-passed"]);
    const fail = check({});
    expect(fail.status).not.toBe(0);
    expect(fail.stdout).not.toContain("micropod-check-passed");
  });

  it("micropod health reads Redis with the password persisted with the other secrets; with none persisted it sends none", async () => {
    const read = async () => {
      const setup = await healthSetup(silentLogger(), { envFile: config.envFile, composeFile: compose, every: parseEvery("2m"), env: { HEALTH_REDIS_TIMEOUT_SECONDS: "2" } });
      try {
        return await setup.reader.read({ timeoutMs: 2000 });
      } finally {
        setup.close();
      }
    };
    // Before anything is persisted the password only exists in this load's memory: Redis says NOAUTH.
    await expect(read()).rejects.toThrow(/NOAUTH/);
    await persistGeneratedSecrets(config);
    const secrets = config.paths.secretsFile;
    expect(statSync(secrets).mode & 0o777).toBe(0o600);
    expect(readFileSync(secrets, "utf8")).toContain(`\nREDIS_PASSWORD=${config.vars.REDIS_PASSWORD}\n`);
    const snapshot = await read();
    expect(snapshot.processes).toEqual([]);
  });
});
