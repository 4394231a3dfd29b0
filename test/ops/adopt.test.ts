import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../../src/core/clock.js";
import { ConfigError, ExitCode, MicropodError } from "../../src/core/errors.js";
import { createLogger } from "../../src/core/logger.js";
import { Redactor } from "../../src/core/redact.js";
import { hostVariables } from "../../src/commands/suite-loading.js";
import { readContainerList } from "../../src/podman/readers.js";
import { healthSetup } from "../../src/health/setup.js";
import { parseEvery } from "../../src/health/schedule.js";
import { parseQueuesSpec } from "../../src/health/targets.js";
import { type AdoptOptions, adopt } from "../../src/ops/adopt.js";
import { createPodmanSandbox, type PodmanSandbox } from "../support/podman-env.js";
import { FAKES } from "../host/fake-host.js";
import { SandboxRunner, pgBin } from "./support.js";
import { freePort } from "../support/free-port.js";
import { tempDir } from "../support/temp.js";

/**
 * `micropod adopt` end to end on real podman: the seed suite's containers under the seed's names
 * (a real PostgreSQL 15 on a data directory of the seed's layout, busybox stand-ins for web and
 * Sidekiq, a created-only streaming container on a network using micropod's subnet), its .env and
 * its stored secrets, become micropod's suite on the same data; `--revert` brings the seed back.
 * ZFS is the fake zfs of test/host/fakes (the only fake on PATH); podman is real.
 */
let sandbox: PodmanSandbox;
let root: string;
let seedDir: string;
let runner: SandboxRunner;
let port: number;
const fixture = resolve(import.meta.dirname, "fixtures", "adopt", "compose.yaml");
const seedFixture = resolve(import.meta.dirname, "..", "fixtures", "seed", "seed.env");

// What the seed generated and stored (Mastodon's output formats), not in its .env.
const stored = {
  SECRET_KEY: "6c0f0e3c9e1e0b1d2a5f4c3b2a190817f6e5d4c3b2a1908f7e6d5c4b3a29180716253443526170819a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5",
  OTP_SECRET: "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
  VAPID_PRIVATE_KEY: "DBCc224hLur5udhuonF1wQJWfwB3RLX6zgo93ZTUyyo=",
  VAPID_PUBLIC_KEY: "BJazmwKnfT3OnQILsevIaYkciL-AMT5CxECeoyhBzWaZoBEvETgfnRrCEzm3iRbn4OOPhOpVAvtawhdpB2LM0jo=",
  ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY: "Kp3LrT8wXq2ZcV7nB4mJ9hG6fD1sA5eU",
  ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT: "Yw2Nq8Rt4Lm7Vx1Bc9Zk3Hf6Jd5Gs0Pa",
  ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY: "Ue4Ti7Oy1Pa9Sd3Fg6Hj2Kl8Zx5Cv0Bn",
};
const DB_PASSWORD = "seed-db-password-4711";

const data = () => join(seedDir, "data");
const envFile = () => join(root, "etc", "micropod.env");
const state = () => join(root, "zfs-state");
const podman = (...args: string[]) => sandbox.podman(args).trim();
const names = () => readContainerList(podman("ps", "--all", "--format", "json")).map((c) => `${c.name} ${c.state}`).sort();
const psql = (container: string, sql: string, db = "mastodon_production") =>
  podman("exec", container, `${pgBin}/psql`, "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", db, "-Atc", sql);
const rows = (container: string) => psql(container, "select count(*) || ' ' || md5(string_agg(id || ':' || username, ',' order by id)) from accounts");
const lineOf = (file: string, key: string) => readFileSync(file, "utf8").split("\n").findIndex((l) => l.startsWith(`${key}=`)) + 1;
const snapshots = () => Object.keys((JSON.parse(readFileSync(join(state(), "zfs.json"), "utf8")) as { snapshots?: object }).snapshots ?? {});

function context(out: string[] = []) {
  return { runner, logger: createLogger({ json: true, level: (process.env.ADOPT_LOG as "info") ?? "silent" }), redactor: new Redactor(), clock: systemClock, out: (t: string) => out.push(t), signal: new AbortController().signal };
}
function options(over: Partial<AdoptOptions> = {}): AdoptOptions {
  return { seedDir, envFile: envFile(), composeFile: fixture, hostVariables, ...over };
}
async function failure(p: Promise<unknown>): Promise<MicropodError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof MicropodError)) throw new Error(`expected a MicropodError, got ${String(err)}`);
  return err;
}
/** Everything an adoption could change, to compare before and after a refusal. */
function hostState() {
  return {
    containers: names(),
    networks: podman("network", "ls", "--format", "{{.Name}}").split("\n").sort(),
    data: readdirSync(data()).sort(),
    etc: existsSync(join(root, "etc")) ? readdirSync(join(root, "etc")) : [],
    snapshots: snapshots(),
    journal: existsSync(join(data(), "state", "adopt.json")) ? readFileSync(join(data(), "state", "adopt.json"), "utf8") : undefined,
  };
}

async function untilReady(container: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      podman("exec", container, `${pgBin}/pg_isready`, "-q", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres");
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** A stand-in that idles and ends at once on SIGTERM (a bare `sleep` as PID 1 ignores it). */
const idle = 'trap "exit 0" TERM; sleep 600 & wait';
const hostUserland = ["-v", "/usr:/usr:ro", "-v", "/usr/lib:/lib:ro", "-v", "/usr/lib64:/lib64:ro", "-v", "/etc/passwd:/etc/passwd:ro", "-v", "/etc/group:/etc/group:ro"];

beforeAll(async () => {
  sandbox = createPodmanSandbox();
  sandbox.busyboxImage();
  root = tempDir("micropod-ops-adopt-");
  chmodSync(root, 0o755);
  port = await freePort();
  const mnt = join(root, "mnt", "data");
  seedDir = join(mnt, "micropod-mastodon-suite");

  // The fake zfs alone on PATH, with zroot/data mounted at the test's /mnt/data.
  mkdirSync(join(root, "bin"));
  symlinkSync(join(FAKES, "zfs"), join(root, "bin", "zfs"));
  mkdirSync(state());
  writeFileSync(join(state(), "zfs.json"), JSON.stringify({ datasets: { zroot: { mountpoint: "/zroot" }, "zroot/data": { mountpoint: mnt } } }));
  runner = new SandboxRunner({ ...sandbox.env, PATH: `${join(root, "bin")}:${process.env.PATH ?? "/usr/bin:/bin"}`, FAKE_STATE: state(), FAKE_ROOT: root });

  // The seed's checkout: its .env (secrets blank but the database password), its stored secrets, its data.
  const private_ = join(seedDir, "data", "mastodon", "private");
  mkdirSync(private_, { recursive: true });
  mkdirSync(join(seedDir, "data", "mastodon", "system"));
  let env = readFileSync(seedFixture, "utf8");
  for (const k of ["SECRET_KEY", "OTP_SECRET", "VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY", "ACTIVE_PRIMARY_KEY", "ACTIVE_DETERMINISTIC_KEY", "ACTIVE_KEY_DERIVATION_SALT"]) env = env.replace(new RegExp(`^${k}=.*$`, "m"), `${k}=""`);
  env = env.replace(/^DB_HOST=.*$/m, 'DB_HOST="127.0.0.1"').replace(/^DB_PORT=.*$/m, `DB_PORT="${port}"`);
  // The health check's Redis: loopback, nothing listening (target resolution needs no Sidekiq).
  // Build logs go to LOG_DIR: the test's, never the machine's /var/log.
  writeFileSync(join(seedDir, ".env"), `${env}REDIS_HOST="127.0.0.1"\nREDIS_PORT="1"\nLOG_DIR="${join(root, "log")}"\n`);
  writeFileSync(join(private_, "secret.key"), `${stored.SECRET_KEY}\n`);
  writeFileSync(join(private_, "otp.key"), `${stored.OTP_SECRET}\n`);
  writeFileSync(join(private_, "vapid.keys"), `VAPID_PRIVATE_KEY=${stored.VAPID_PRIVATE_KEY}\nVAPID_PUBLIC_KEY=${stored.VAPID_PUBLIC_KEY}\n`);
  writeFileSync(
    join(private_, "activerecord.keys"),
    `Add these secret environment variables to your Mastodon environment (e.g. .env.production): \n\n${["DETERMINISTIC_KEY", "KEY_DERIVATION_SALT", "PRIMARY_KEY"].map((k) => `ACTIVE_RECORD_ENCRYPTION_${k}=${stored[`ACTIVE_RECORD_ENCRYPTION_${k}` as keyof typeof stored]}`).join("\n")}\n`,
  );
  writeFileSync(join(private_, "mastodon.owner.credentials"), "username: owner\npassword: not-a-secret-micropod-reuses\n");

  const pgdir = join(seedDir, "data", "postgres");
  mkdirSync(pgdir);
  for (const d of [join(root, "mnt"), mnt, seedDir, join(seedDir, "data")]) chmodSync(d, 0o755);
  const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }));
  const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }));
  chownSync(pgdir, uid, gid);
  execFileSync("runuser", ["-u", "postgres", "--", `${pgBin}/initdb`, "-D", join(pgdir, "data"), "-A", "trust", "-U", "postgres", "--locale=C", "-E", "UTF8"], { stdio: "ignore" });

  // The seed's containers, under the seed's names (the blog post's postgresql, mastodon-*).
  const seed = (name: string, args: string[]) => podman("run", "--detach", "--name", name, "--network", "host", ...args);
  seed("postgresql", ["--stop-signal", "SIGINT", "-v", `${pgdir}:/var/db/postgres`, ...hostUserland, "localhost/busybox:test",
    "/usr/bin/setpriv", "--reuid", "postgres", "--regid", "postgres", "--init-groups", "--",
    `${pgBin}/postgres`, "-D", "/var/db/postgres/data", "-p", String(port), "-k", "", "-c", "listen_addresses=127.0.0.1"]);
  await untilReady("postgresql");
  psql("postgresql", "create database mastodon_production", "postgres");
  psql("postgresql", "create table accounts (id serial primary key, username text not null); insert into accounts (username) select 'user' || g from generate_series(1, 500) g");
  seed("mastodon-web", ["--env", `ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY=${stored.ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY}`, "-v", `${join(seedDir, "data", "mastodon", "system")}:/usr/local/www/mastodon/public/system`,
    "localhost/busybox:test", "/bin/sh", "-c", `echo -n "$ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY" | sha256sum > /usr/local/www/mastodon/public/system/key-seed; ${idle}`]);
  for (const s of ["mastodon-sidekiq-ingress-1", "mastodon-sidekiq-default", "mastodon-sidekiq-mailers"]) seed(s, ["localhost/busybox:test", "/bin/sh", "-c", idle]);
  // On micropod's subnet (a documentation range here): created, never started, so nothing is reached.
  podman("network", "create", "--subnet", "198.51.100.0/24", "--label", "seed=yes", "seed_net");
  podman("create", "--name", "mastodon-streaming", "--network", "seed_net", "--ip", "198.51.100.31", "--network-alias", "streaming", "localhost/busybox:test", "sleep", "600");
}, 180_000);

const seedRunning = [
  "mastodon-sidekiq-default running",
  "mastodon-sidekiq-ingress-1 running",
  "mastodon-sidekiq-mailers running",
  "mastodon-streaming created",
  "mastodon-web running",
  "postgresql running",
];

describe("micropod adopt on real podman", () => {
  let before: string;

  it("--check shows what it would reuse, move, stop and start, and changes nothing", async () => {
    before = rows("postgresql");
    expect(before).toMatch(/^500 [0-9a-f]{32}$/);
    const host = hostState();
    const out: string[] = [];
    const err = await failure(adopt(context(out), options({ check: true })));
    expect(err.exitCode).toBe(ExitCode.changesPending);
    const text = out.join("\n");
    const lines = text.split("\n");
    expect(lines).toEqual(expect.arrayContaining([
      `  write ${envFile()}: the seed's ${join(seedDir, ".env")} as written, with DATA_DIR=${data()}`,
      `  reuse DB_PASS from ${join(seedDir, ".env")}:${lineOf(join(seedDir, ".env"), "DB_PASSWORD")}`,
      `  reuse SECRET_KEY from ${join(data(), "mastodon", "private", "secret.key")}:1 -> ${join(data(), "private", "secrets.env")}`,
      `  reuse ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY from ${join(data(), "mastodon", "private", "activerecord.keys")}:5 -> ${join(data(), "private", "secrets.env")}`,
      `  generate REDIS_PASSWORD -> ${join(data(), "private", "secrets.env")}: the seed's Redis has none; micropod's redis requires it of every client`,
      expect.stringMatching(/^ {2}Mastodon v\d+\.\d+\.\d+, micropod's default: the seed's \.env does not say which release it runs\. /),
      `  left alone in the seed's secrets directory: ${join(data(), "mastodon", "private", "mastodon.owner.credentials")}`,
      "  mastodon-sidekiq-mailers -> mastodon-sidekiq-mailers-seed; no micropod service replaces it",
      "  postgresql -> postgresql-seed; replaced by micropod's postgresql",
      "  mastodon-streaming (not running) -> mastodon-streaming-seed; replaced by micropod's streaming",
      "  remove the seed's seed_net (198.51.100.0/24), which micropod's micropod needs; recreated by --revert",
      expect.stringMatching(/^ {2}ZFS snapshot zroot\/data@micropod-adopt-\d{8}T\d{6}Z first$/),
      `  move  ${join(data(), "postgres")} -> ${join(data(), "postgresql")} (postgresql; the seed's postgresql)`,
      `  reuse ${join(data(), "mastodon", "system")} (web, sidekiq-ingress-1, sidekiq-default, streaming; the seed's mastodon-web)`,
      "Start micropod's suite, each service gated on readiness: postgresql, web, sidekiq-ingress-1, sidekiq-default, streaming",
      "  podman stop --time 30 postgresql",
      "  podman network disconnect seed_net mastodon-streaming",
      "  podman network rm seed_net",
      "  podman rename mastodon-web mastodon-web-seed",
      "  podman start mastodon-postgresql",
    ]));
    // Stopped dependents first: the unreplaced Sidekiq, then web and Sidekiq, the database last.
    const stops = lines.filter((l) => l.startsWith("  podman stop"));
    expect(stops.at(-1)).toBe("  podman stop --time 30 postgresql");
    expect(stops[0]).toBe("  podman stop mastodon-sidekiq-mailers");
    // No secret in the output.
    for (const v of [...Object.values(stored), DB_PASSWORD]) expect(text).not.toContain(v);
    expect(hostState()).toEqual(host);
    expect(names()).toEqual(seedRunning);
  });

  it("refuses bad input and changes nothing: a stored secret contradicting the .env, a micropod .env already there", async () => {
    const host = hostState();
    const conflicting = join(root, "conflicting.env");
    writeFileSync(conflicting, readFileSync(join(seedDir, ".env"), "utf8").replace(/^ACTIVE_PRIMARY_KEY=.*$/m, 'ACTIVE_PRIMARY_KEY="ThisIsNotTheKeyTheDatabaseUses00"'));
    const err = await failure(adopt(context(), options({ seedEnv: conflicting })));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.details).toEqual([
      `${conflicting}:${lineOf(conflicting, "ACTIVE_PRIMARY_KEY")}: ACTIVE_PRIMARY_KEY: differs from the value the seed stored in ${join(data(), "mastodon", "private", "activerecord.keys")}:5: keep the one the database was written with in one of the two places`,
    ]);
    mkdirSync(join(root, "etc"));
    writeFileSync(envFile(), "DOMAIN=example.org\n");
    const exists = await failure(adopt(context(), options()));
    expect(exists.details).toEqual([`${envFile()}: exists already: adopt writes micropod's .env from the seed's; move this one away, or pass --env FILE for another place`]);
    rmSync(join(root, "etc"), { recursive: true });
    expect(hostState()).toEqual(host);
  });

  it("when micropod's suite does not come up, puts the seed back by itself", async () => {
    const broken = join(root, "broken-compose.yaml");
    const image = join(import.meta.dirname, "fixtures", "adopt", "image");
    writeFileSync(broken, readFileSync(fixture, "utf8").replace('test: ["CMD", "true"]', 'test: ["CMD", "false"]').replaceAll("context: ./image", `context: ${image}`));
    const host = hostState();
    const err = await failure(adopt(context(), options({ composeFile: broken })));
    expect(err.message).toBe("adopt failed at step start");
    expect(err.details).toEqual(expect.arrayContaining([
      expect.stringMatching(/^micropod's containers stopped and removed: /),
      `data moved back: ${join(data(), "postgresql")} -> ${join(data(), "postgres")}`,
      "the seed's network seed_net recreated",
      "the seed's containers run again: postgresql, mastodon-web, mastodon-sidekiq-ingress-1, mastodon-sidekiq-default, mastodon-sidekiq-mailers",
      expect.stringMatching(/^web is not healthy after [\d.]+s: healthcheck `false` failed 2 times \(exit 1\)$/),
    ]));
    expect(names()).toEqual(seedRunning);
    expect(rows("postgresql")).toBe(before);
    expect(existsSync(envFile())).toBe(false);
    expect(existsSync(join(data(), "private", "secrets.env"))).toBe(false);
    const after = hostState();
    // The snapshot taken before the data moved stays, and the journal says reverted.
    expect(after.snapshots).toHaveLength(1);
    expect(JSON.parse(after.journal!).status).toBe("reverted");
    expect({ ...after, snapshots: [], journal: undefined }).toEqual({ ...host, snapshots: [], journal: undefined, data: [...host.data, "private", "state"].sort() });
    await untilReady("postgresql");
  });

  it("adopts: micropod runs on the seed's data with the seed's secrets, the seed kept stopped", async () => {
    const out: string[] = [];
    await adopt(context(out), options());
    expect(out.at(-1)).toMatch(/^adopted .*: micropod runs 5 services on .* with the seed's secrets/);
    expect(names()).toEqual([
      "mastodon-postgresql running",
      "mastodon-sidekiq-default running",
      "mastodon-sidekiq-default-seed exited",
      "mastodon-sidekiq-ingress-1 running",
      "mastodon-sidekiq-ingress-1-seed exited",
      "mastodon-sidekiq-mailers-seed exited",
      "mastodon-streaming running",
      "mastodon-streaming-seed created",
      "mastodon-web running",
      "mastodon-web-seed exited",
      "postgresql-seed exited",
    ]);
    // The rows, through micropod's own PostgreSQL on the moved data directory.
    expect(rows("mastodon-postgresql")).toBe(before);
    expect(readdirSync(data()).sort()).toEqual(["mastodon", "postgresql", "private", "state"]);
    // The keys: the ones the seed stored, in micropod's secrets file and in the running web.
    const secretsFile = readFileSync(join(data(), "private", "secrets.env"), "utf8");
    for (const k of ["SECRET_KEY", "OTP_SECRET", "VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY", "ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY"] as const) expect(secretsFile).toContain(`${k}=${stored[k]}`);
    expect(secretsFile).not.toContain("DB_PASS");
    // The one secret the seed never had: generated, persisted with the others.
    expect(secretsFile).toMatch(/^REDIS_PASSWORD=[A-Za-z0-9]{32}$/m);
    const webEnv = podman("exec", "mastodon-web", "env");
    expect(webEnv).toContain(`ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY=${stored.ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY}`);
    expect(webEnv).toContain(`DB_PASS=${DB_PASSWORD}`);
    const system = join(data(), "mastodon", "system");
    expect(readFileSync(join(system, "key-micropod"), "utf8")).toBe(readFileSync(join(system, "key-seed"), "utf8"));
    // micropod's .env is the seed's, as written, pointing at the data in place.
    expect(readFileSync(envFile(), "utf8")).toBe(`${readFileSync(join(seedDir, ".env"), "utf8")}\n# Added by micropod adopt: the seed's data, adopted in place.\nDATA_DIR=${data()}\n`);
    // The seed's network made way; its containers keep no restart policy that boots them.
    expect(podman("network", "ls", "--format", "{{.Name}}")).not.toContain("seed_net");
    expect(snapshots()).toHaveLength(2);
  });

  it("the Sidekiq health check's container matching sees the adopted workers, by the suite and by the seed's QUEUES", async () => {
    const running = new Set(podman("ps", "--format", "{{.Names}}").split("\n"));
    const setup = await healthSetup(createLogger({ json: true, level: "silent" }), { envFile: envFile(), composeFile: fixture, redactor: new Redactor(), every: parseEvery("2m") });
    try {
      expect(setup.targets.map((t) => [t.containerName, t.queues, t.tag])).toEqual([
        ["mastodon-sidekiq-ingress-1", ["ingress"], "mastodon-sidekiq-ingress-1"],
        ["mastodon-sidekiq-default", ["default", "mailers"], "mastodon-sidekiq-default"],
      ]);
      for (const t of setup.targets) expect(running.has(t.containerName)).toBe(true);
    } finally {
      setup.close();
    }
    // The seed's cron line names the same containers: micropod's now.
    for (const t of parseQueuesSpec("ingress:mastodon-sidekiq-ingress-1 default:mastodon-sidekiq-default")) expect(running.has(t.containerName)).toBe(true);
  });

  it("--revert brings the seed's containers, network and data back, and a second one has nothing to do", async () => {
    const out: string[] = [];
    await adopt(context(out), options({ revert: true }));
    expect(out.join("\n").split("\n")[0]).toBe(`reverted the adoption of ${seedDir}`);
    expect(names()).toEqual(seedRunning);
    await untilReady("postgresql");
    expect(rows("postgresql")).toBe(before);
    expect(readdirSync(data()).sort()).toEqual(["mastodon", "postgres", "private", "state"]);
    expect(existsSync(envFile())).toBe(false);
    // The created-only streaming container is back on its network, with its address and alias.
    const streaming = JSON.parse(podman("container", "inspect", "mastodon-streaming"))[0];
    expect(Object.keys(streaming.NetworkSettings.Networks)).toEqual(["seed_net"]);
    expect(streaming.NetworkSettings.Networks.seed_net.Aliases).toContain("streaming");
    expect(JSON.parse(podman("network", "inspect", "seed_net"))[0]).toMatchObject({ subnets: [{ subnet: "198.51.100.0/24" }], labels: { seed: "yes" } });
    // A stopped container shows no address: the reconnect command carries the one it had.
    expect(runner.calls).toContainEqual(["podman", "network", "connect", "--ip", "198.51.100.31", "--alias", "streaming", "seed_net", "mastodon-streaming"]);

    const again: string[] = [];
    await adopt(context(again), options({ revert: true }));
    expect(again).toEqual([`the adoption of ${seedDir} is already reverted: nothing to do`]);
  });
});
