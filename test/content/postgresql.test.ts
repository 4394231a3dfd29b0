import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseEnvText } from "../../src/config/env-file.js";
import { loadSuite } from "../../src/suite/load.js";
import { freePort } from "../support/free-port.js";
import { requireTool } from "../support/require-tool.js";
import { deferCleanup } from "../support/cleanup.js";
import { tempDir } from "../support/temp.js";

/**
 * The postgresql entrypoint and the maintaindb script, run for real against Debian's
 * PostgreSQL (the FreeBSD image runs the same scripts with the ports' binaries): first start
 * initialises the cluster with the DB_PASS password, maintaindb creates the role and database
 * (twice: idempotent) with pg_stat_statements, SIGTERM stops the server with a fast shutdown,
 * a second start reuses the cluster, and the log rotates past its cap.
 * Listens on 127.0.0.1 on a free port only.
 */
const repo = resolve(import.meta.dirname, "../..");
const containerfiles = join(repo, "containerfiles");
const password = "s3cret 'with' \"quotes\"";

let work: string;
let pgBin: string;
let port: number;
/** What compose.yaml gives the postgresql service (sample.env): the backend network's subnets. */
let composeEnv: Record<string, string>;

function baseEnv(): Record<string, string> {
  return {
    PATH: `${pgBin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    MICROPOD_LIBEXEC: join(containerfiles, "base"),
  };
}

function pgEnv(): Record<string, string> {
  return {
    ...baseEnv(),
    MICROPOD_TEMPLATES: join(containerfiles, "postgresql"),
    PGDATA: join(work, "data"),
    PG_LOG_DIR: join(work, "log"),
    PG_LISTEN: "127.0.0.1",
    PG_PORT: String(port),
    PG_LOG_CAP_BYTES: "200000",
    DB_PASS: password,
    ...composeEnv,
  };
}

interface Server {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startServer(env: Record<string, string> = {}): Server {
  let out = "";
  // cwd: the test's own directory. The entrypoint switches to the postgres user, which cannot
  // enter a checkout under root's 0700 home (a fresh machine's CI clone), and initdb/pg_ctl cd back.
  const child = spawn("sh", [join(containerfiles, "postgresql", "entrypoint.sh")], { cwd: work, env: { ...pgEnv(), ...env }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (out += String(d)));
  child.stderr!.on("data", (d) => (out += String(d)));
  const exited = new Promise<number | null>((res) => child.on("exit", (code) => res(code)));
  return { child, output: () => out, exited };
}

async function waitReady(server: Server): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const r = spawnSync(join(pgBin, "pg_isready"), ["-q", "-h", "127.0.0.1", "-p", String(port)]);
    if (r.status === 0) return;
    if (server.child.exitCode !== null) throw new Error(`entrypoint exited: ${server.output()}`);
    await new Promise((r2) => setTimeout(r2, 500));
  }
  throw new Error(`PostgreSQL not ready: ${server.output()}`);
}

function psql(user: string, db: string, sql: string): { status: number | null; out: string } {
  const r = spawnSync(join(pgBin, "psql"), ["-X", "-q", "-t", "-A", "-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", db, "-c", sql], {
    env: { ...process.env, PGPASSWORD: password },
    encoding: "utf8",
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function maintaindb(): { status: number | null; out: string } {
  const r = spawnSync("sh", [join(containerfiles, "maintaindb", "entrypoint.sh")], {
    env: {
      ...baseEnv(),
      MICROPOD_TEMPLATES: join(containerfiles, "maintaindb"),
      DB_HOST: "127.0.0.1",
      DB_PORT: String(port),
      DB_NAME: "mastodon production",
      DB_USER: "mastodon",
      DB_PASS: password,
      MAINTAINDB_WAIT: "30",
      MAINTAINDB_MIGRATE: "no",
    },
    encoding: "utf8",
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** pg_hba.conf's network rules as the server loaded them: address|netmask|method|error. */
function hbaRules(): string[] {
  const r = psql("postgres", "postgres", "select address, netmask, auth_method, coalesce(error, '') from pg_hba_file_rules where address is not null and address not in ('127.0.0.1', '::1') order by line_number");
  expect(r.status, r.out).toBe(0);
  return r.out.trim().split("\n").filter(Boolean);
}

async function stopServer(server: Server): Promise<number | null> {
  server.child.kill("SIGTERM");
  return await Promise.race([server.exited, new Promise<null>((_, rej) => setTimeout(() => rej(new Error(`no exit after SIGTERM: ${server.output()}`)), 60_000))]);
}

/** A cluster of the test's own in env.PGDATA: first start (initdb) and a clean stop; stopped at the file's end whatever happens. */
async function initialiseCluster(env: { PGDATA: string } & Record<string, string>): Promise<void> {
  deferCleanup(`PostgreSQL in ${env.PGDATA}`, () => spawnSync("su", ["-m", "postgres", "-c", `${pgBin}/pg_ctl stop -D ${env.PGDATA} -m immediate`], { stdio: "ignore" }));
  const init = startServer(env);
  await waitReady(init);
  expect(await stopServer(init), init.output()).toBe(0);
}

beforeAll(async () => {
  requireTool("psql", "postgresql");
  const versions = existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql").sort() : [];
  const major = versions.at(-1);
  if (!major || !existsSync(`/usr/lib/postgresql/${major}/bin/pg_ctl`)) throw new Error("pg_ctl not found: install Debian's postgresql");
  pgBin = `/usr/lib/postgresql/${major}/bin`;
  const sample = Object.fromEntries(parseEnvText(readFileSync(join(repo, "sample.env"), "utf8"), "sample.env").entries.map((e) => [e.key, e.value]));
  composeEnv = { ...(await loadSuite(join(containerfiles, "compose.yaml"), sample)).services.get("postgresql")!.environment };
  work = tempDir("micropod-pg-");
  // The cluster owner (postgres) must reach its data directory.
  chmodSync(work, 0o755);
  // A server a failing test left running goes before its directory (cleanups run newest first).
  deferCleanup("the test's PostgreSQL", () => spawnSync("su", ["-m", "postgres", "-c", `${pgBin}/pg_ctl stop -D ${join(work, "data")} -m immediate`], { stdio: "ignore" }));
  port = await freePort();
});

describe("postgresql entrypoint and maintaindb on real PostgreSQL", () => {
  it("initialises once, serves maintaindb's role and database, stops fast on SIGTERM, restarts on the same cluster", async () => {
    const first = startServer();
    await waitReady(first);
    expect(first.output()).toContain(`entrypoint.sh: initialising a new cluster in ${join(work, "data")}`);
    expect(readFileSync(join(work, "data", "micropod.conf"), "utf8")).toContain(
      `listen_addresses = '127.0.0.1'\nport = ${port}\nshared_preload_libraries = 'pg_stat_statements'\n`,
    );

    // The superuser password is DB_PASS; host connections need it (scram), so a wrong one fails.
    expect(psql("postgres", "postgres", "select 1").out.trim()).toBe("1");
    // Room for six Sidekiq containers at 25 threads, web and streaming (the default 100 is not).
    expect(psql("postgres", "postgres", "show max_connections").out.trim()).toBe("300");
    const wrong = spawnSync(join(pgBin, "psql"), ["-X", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", "-c", "select 1"], {
      env: { ...process.env, PGPASSWORD: "wrong" },
      encoding: "utf8",
    });
    expect(wrong.status).not.toBe(0);
    expect(wrong.stderr).toContain("password authentication failed");

    // pg_hba: the backend network's subnets, with a password, as PostgreSQL itself parsed them.
    expect(hbaRules()).toEqual(["10.89.0.0|255.255.255.0|scram-sha-256|", "fd00:10:89::|ffff:ffff:ffff:ffff::|scram-sha-256|"]);

    const m1 = maintaindb();
    expect(m1.status, m1.out).toBe(0);
    expect(m1.out).toBe("entrypoint.sh: role mastodon and database mastodon production are in place\n");
    const m2 = maintaindb();
    expect(m2.status, m2.out).toBe(0);
    expect(psql("mastodon", "mastodon production", "select current_user, pg_catalog.pg_get_userbyid(d.datdba) from pg_database d where datname = current_database()").out.trim()).toBe(
      "mastodon|mastodon",
    );
    expect(psql("mastodon", "mastodon production", "select count(*) >= 0 from pg_stat_statements").out.trim()).toBe("t");

    // The log stays inside the container directory and rotates past the cap.
    const big = "x".repeat(1000);
    for (let i = 0; i < 250; i++) psql("postgres", "postgres", `DO $$ BEGIN RAISE LOG '${big}'; END $$`);
    for (let i = 0; i < 40 && !existsSync(join(work, "log", "postgresql.log.1")); i++) await new Promise((r) => setTimeout(r, 500));
    expect(existsSync(join(work, "log", "postgresql.log.1"))).toBe(true);
    // Checked every 5 s: within a few checks the current file is back under the cap.
    const logSize = () => (existsSync(join(work, "log", "postgresql.log")) ? statSync(join(work, "log", "postgresql.log")).size : Infinity);
    for (let i = 0; i < 60 && logSize() >= 200_000; i++) await new Promise((r) => setTimeout(r, 500));
    expect(logSize()).toBeLessThan(200_000);

    expect(await stopServer(first)).toBe(0);
    const serverLog = readFileSync(join(work, "log", "postgresql.log"), "utf8");
    expect(serverLog).toContain("received fast shutdown request");
    expect(serverLog).toContain("database system is shut down");
    expect(first.output()).toContain("entrypoint.sh: PostgreSQL stopped\n");

    const second = startServer();
    await waitReady(second);
    expect(second.output()).not.toContain("initialising");
    expect(psql("mastodon", "mastodon production", "select current_user").out.trim()).toBe("mastodon");
    expect(await stopServer(second)).toBe(0);
  });

  it("rewrites its pg_hba block at every start: a changed network replaces it, the single-network lines of earlier versions go, the rest stays", async () => {
    const hba = join(work, "data", "pg_hba.conf");
    // A cluster initialised by an earlier micropod, with a line of the administrator's own.
    const legacy = "# micropod: the suite network\nhost    all             all             10.89.0.0/24            scram-sha-256\nhost    all             all             fd00:10:89::/64         scram-sha-256\n";
    writeFileSync(hba, `${readFileSync(hba, "utf8")}${legacy}host    all             all             198.51.100.0/24         reject\n`);
    const server = startServer({ PG_HBA_NETWORKS_V4: "192.0.2.0/24 203.0.113.0/24", PG_HBA_NETWORKS_V6: "" });
    await waitReady(server);
    expect(hbaRules()).toEqual(["198.51.100.0|255.255.255.0|reject|", "192.0.2.0|255.255.255.0|scram-sha-256|", "203.0.113.0|255.255.255.0|scram-sha-256|"]);
    const text = readFileSync(hba, "utf8");
    expect(text).not.toContain("# micropod: the suite network");
    expect(text.match(/# micropod: begin/g)).toHaveLength(1);
    expect(statSync(hba).mode & 0o777).toBe(0o600);
    expect(await stopServer(server)).toBe(0);
  });

  it("refuses to start without a client network, or with one not in CIDR form, naming it", () => {
    for (const [env, message] of [
      [{ PG_HBA_NETWORKS_V4: "", PG_HBA_NETWORKS_V6: "" }, "entrypoint.sh: neither PG_HBA_NETWORKS_V4 nor PG_HBA_NETWORKS_V6 is set: the clients' networks (compose.yaml sets the backend network's subnets)\n"],
      [{ PG_HBA_NETWORKS_V4: "10.89.0.0" }, "entrypoint.sh: PG_HBA_NETWORKS: 10.89.0.0 is not a network in CIDR form (address/length)\n"],
      [{ PG_HBA_NETWORKS_V4: "backend/24" }, "entrypoint.sh: PG_HBA_NETWORKS: backend/24 is not a network in CIDR form\n"],
    ] as const) {
      const before = readFileSync(join(work, "data", "pg_hba.conf"), "utf8");
      const r = spawnSync("sh", [join(containerfiles, "postgresql", "entrypoint.sh")], { env: { ...pgEnv(), ...env }, encoding: "utf8" });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(message);
      expect(readFileSync(join(work, "data", "pg_hba.conf"), "utf8")).toBe(before);
    }
  });

  it("admits the peer hosts of PG_HBA_PEERS, for replication too, and refuses an address it does not list", async () => {
    // A cluster of its own, without initdb's loopback lines, so 127.0.0.1 (the only source
    // address a loopback client has) is admitted by PG_HBA_PEERS or by nothing.
    const env = { PGDATA: join(work, "data-peers"), REPLICATION_PASSWORD: "repl 'secret'" };
    await initialiseCluster(env);
    const data = env.PGDATA;
    const hba = join(data, "pg_hba.conf");
    writeFileSync(hba, readFileSync(hba, "utf8").split("\n").filter((l) => !/^host\s+\S+\s+\S+\s+(127\.0\.0\.1\/32|::1\/128)\s/.test(l)).join("\n"));

    const admitted = startServer({ ...env, PG_HBA_PEERS: "127.0.0.1 [2001:db8::7]" });
    await waitReady(admitted);
    expect(psql("postgres", "postgres", "select 1")).toEqual({ status: 0, out: "1\n" });
    const rules = psql("postgres", "postgres", "select type, database[1], user_name[1], address, netmask, auth_method from pg_hba_file_rules where address is not null order by line_number");
    expect(rules.out.trim().split("\n")).toEqual([
      "host|all|all|10.89.0.0|255.255.255.0|scram-sha-256",
      "host|all|all|fd00:10:89::|ffff:ffff:ffff:ffff::|scram-sha-256",
      "host|all|all|127.0.0.1|255.255.255.255|scram-sha-256",
      "host|all|all|2001:db8::7|ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff|scram-sha-256",
      "host|replication|replicator|10.89.0.0|255.255.255.0|scram-sha-256",
      "host|replication|replicator|fd00:10:89::|ffff:ffff:ffff:ffff::|scram-sha-256",
      "host|replication|replicator|127.0.0.1|255.255.255.255|scram-sha-256",
      "host|replication|replicator|2001:db8::7|ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff|scram-sha-256",
    ]);
    // A replica on that host gets in for replication (a walsender connection, as pg_basebackup's).
    const repl = spawnSync(join(pgBin, "psql"), ["-X", "-t", "-A", "-c", "IDENTIFY_SYSTEM", `host=127.0.0.1 port=${port} user=replicator dbname=replication replication=true`], {
      env: { ...process.env, PGPASSWORD: "repl 'secret'" },
      encoding: "utf8",
    });
    expect(repl.status, repl.stderr).toBe(0);
    expect(repl.stdout).toMatch(/^\d+\|1\|/);
    expect(await stopServer(admitted)).toBe(0);

    const elsewhere = startServer({ ...env, PG_HBA_PEERS: "127.0.0.2" });
    await waitReady(elsewhere);
    const refused = psql("postgres", "postgres", "select 1");
    expect(refused.status).not.toBe(0);
    expect(refused.out).toContain('no pg_hba.conf entry for host "127.0.0.1"');
    expect(await stopServer(elsewhere)).toBe(0);

    for (const [peers, message] of [
      ["10.0.0.0/8", "entrypoint.sh: PG_HBA_PEERS: 10.0.0.0/8 is not an address (a host's, without /length)\n"],
      ["db1.example", "entrypoint.sh: PG_HBA_PEERS: db1.example is not an IP address\n"],
    ] as const) {
      const r = spawnSync("sh", [join(containerfiles, "postgresql", "entrypoint.sh")], { env: { ...pgEnv(), ...env, PG_HBA_PEERS: peers }, encoding: "utf8" });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(message);
    }
  });

  it("a SIGTERM while pg_ctl is starting the server stops it cleanly: exit 0, no role setup on a stopped server", async () => {
    const env = { PGDATA: join(work, "data-term"), REPLICATION_PASSWORD: "repl" };
    await initialiseCluster(env);
    const data = env.PGDATA;
    // Again, TERM the moment pg_ctl says it waits for the server: the trap runs once pg_ctl returns.
    const again = startServer(env);
    for (let i = 0; i < 600 && !again.output().includes("waiting for server to start") && again.child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 50));
    expect(again.output()).toContain("waiting for server to start");
    expect(await stopServer(again), again.output()).toBe(0);
    expect(again.output()).toContain("stopping PostgreSQL (fast)");
    expect(again.output()).not.toContain("cannot set up the replication role");
    expect(existsSync(join(data, "postmaster.pid"))).toBe(false);
  });

  it("maintaindb gives up with a clear message when PostgreSQL never answers", () => {
    const r = spawnSync("sh", [join(containerfiles, "maintaindb", "entrypoint.sh")], {
      env: { ...baseEnv(), MICROPOD_TEMPLATES: join(containerfiles, "maintaindb"), DB_HOST: "127.0.0.1", DB_PORT: "1", DB_NAME: "m", DB_USER: "m", DB_PASS: "p", MAINTAINDB_WAIT: "2" },
      encoding: "utf8",
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("entrypoint.sh: PostgreSQL at 127.0.0.1:1 is not ready after 2s\n");
  });
});
