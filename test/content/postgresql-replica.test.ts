import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseEnvText } from "../../src/config/env-file.js";
import { loadSuite } from "../../src/suite/load.js";
import type { Suite } from "../../src/suite/model.js";
import { deferCleanup } from "../support/cleanup.js";
import { freePort } from "../support/free-port.js";
import { requireTool } from "../support/require-tool.js";
import { tempDir } from "../support/temp.js";

/**
 * The postgresql entrypoint in both modes, run for real with Debian's PostgreSQL: the primary
 * with the environment and secrets compose.yaml gives postgresql, the replica with those of
 * postgresql-replica (profile postgresql-replica on), each listening on loopback on a free port
 * in its own directory. The replica copies the primary with pg_basebackup as `replicator`, runs
 * as a hot standby, and a row written on the primary afterwards is read on the replica.
 */
const repo = resolve(import.meta.dirname, "../..");
const containerfiles = join(repo, "containerfiles");
const dbPass = "primary superuser pass";
const replicationPassword = "repl:pass\\with 'quotes'";

let work: string;
let pgBin: string;
let suite: Suite;
const ports = { primary: 0, replica: 0 };

interface Server {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** The entrypoint as the container runs it: the service's environment and env secrets, on loopback at `port`, data in `dir`. */
function start(service: "postgresql" | "postgresql-replica", dir: string, port: number, extra: Record<string, string>): Server {
  const svc = suite.services.get(service)!;
  const secrets: Record<string, string> = { DB_PASS: dbPass, REPLICATION_PASSWORD: replicationPassword };
  const env: Record<string, string> = {
    PATH: `${pgBin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    ...svc.environment,
    ...Object.fromEntries(svc.secrets.map((s) => [s.target, secrets[s.target]!])),
    MICROPOD_LIBEXEC: join(containerfiles, "base"),
    MICROPOD_TEMPLATES: join(containerfiles, "postgresql"),
    PGDATA: join(dir, "data"),
    PG_LOG_DIR: join(dir, "log"),
    PG_LISTEN: "127.0.0.1",
    PG_PORT: String(port),
    ...extra,
  };
  let out = "";
  const child = spawn("sh", [join(containerfiles, "postgresql", "entrypoint.sh")], { cwd: work, env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (out += String(d)));
  child.stderr!.on("data", (d) => (out += String(d)));
  return { child, output: () => out, exited: new Promise((res) => child.on("exit", (code) => res(code))) };
}

async function waitReady(server: Server, port: number): Promise<void> {
  for (let i = 0; i < 240; i++) {
    if (spawnSync(join(pgBin, "pg_isready"), ["-q", "-h", "127.0.0.1", "-p", String(port)]).status === 0) return;
    if (server.child.exitCode !== null) throw new Error(`entrypoint exited: ${server.output()}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`PostgreSQL not ready: ${server.output()}`);
}

function psql(port: number, sql: string): { status: number | null; out: string } {
  const r = spawnSync(join(pgBin, "psql"), ["-X", "-q", "-t", "-A", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-d", "postgres", "-c", sql], {
    env: { ...process.env, PGPASSWORD: dbPass },
    encoding: "utf8",
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

async function stop(server: Server): Promise<number | null> {
  server.child.kill("SIGTERM");
  return Promise.race([server.exited, new Promise<null>((_, rej) => setTimeout(() => rej(new Error(`no exit after SIGTERM: ${server.output()}`)), 60_000))]);
}

beforeAll(async () => {
  requireTool("psql", "postgresql");
  const major = (existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql").sort() : []).at(-1);
  if (!major || !existsSync(`/usr/lib/postgresql/${major}/bin/pg_basebackup`)) throw new Error("pg_basebackup not found: install Debian's postgresql");
  pgBin = `/usr/lib/postgresql/${major}/bin`;
  const sample = Object.fromEntries(parseEnvText(readFileSync(join(repo, "sample.env"), "utf8"), "sample.env").entries.map((e) => [e.key, e.value]));
  suite = await loadSuite(join(containerfiles, "compose.yaml"), { ...sample, COMPOSE_PROFILES: "postgresql-replica" });
  work = tempDir("micropod-pg-replica-");
  chmodSync(work, 0o755);
  for (const d of ["primary", "replica"]) {
    mkdirSync(join(work, d));
    chmodSync(join(work, d), 0o755);
    // Servers a failing test left running go before their directories (cleanups run newest first).
    deferCleanup(`the test's ${d} PostgreSQL`, () => spawnSync("su", ["-m", "postgres", "-c", `${pgBin}/pg_ctl stop -D ${join(work, d, "data")} -m immediate`], { stdio: "ignore" }));
  }
  ports.primary = await freePort();
  ports.replica = await freePort();
});

describe("postgresql-replica: a streaming hot standby of the suite's postgresql", () => {
  it("copies the primary as replicator, follows its WAL read-only, and reads a row written on the primary after the copy", async () => {
    const primary = start("postgresql", join(work, "primary"), ports.primary, {});
    await waitReady(primary, ports.primary);
    // The role is made once the server runs: its line says when.
    for (let i = 0; i < 60 && !primary.output().includes("replication role replicator in place"); i++) await new Promise((r) => setTimeout(r, 500));
    expect(primary.output()).toContain("entrypoint.sh: replication role replicator in place\n");
    // The primary made the replication role and admits it, for replication only, from the networks it admits clients from.
    expect(psql(ports.primary, "select rolreplication, rolcanlogin from pg_roles where rolname = 'replicator'").out).toBe("t|t");
    expect(psql(ports.primary, "select database[1], user_name[1], address, auth_method from pg_hba_file_rules where 'replication' = any(database) and address not in ('127.0.0.1', '::1') order by line_number").out.split("\n")).toEqual([
      "replication|replicator|10.89.0.0|scram-sha-256",
      "replication|replicator|fd00:10:89::|scram-sha-256",
    ]);
    expect(readFileSync(join(work, "primary", "log", "postgresql.log"), "utf8")).not.toContain("quotes");
    expect(psql(ports.primary, "create table notes (id int primary key, body text); insert into notes values (1, 'before the copy')").status).toBe(0);

    const replica = start("postgresql-replica", join(work, "replica"), ports.replica, { PG_PRIMARY_HOST: "127.0.0.1", PG_PRIMARY_PORT: String(ports.primary), PG_PRIMARY_WAIT: "60" });
    await waitReady(replica, ports.replica);
    expect(replica.output()).toContain(`copying the primary 127.0.0.1:${ports.primary} into ${join(work, "replica", "data")}`);
    expect(psql(ports.replica, "select pg_is_in_recovery()").out).toBe("t");
    expect(psql(ports.replica, "select body from notes where id = 1").out).toBe("before the copy");

    expect(psql(ports.primary, "insert into notes values (2, 'after the copy')").status).toBe(0);
    let seen = "";
    for (let i = 0; i < 60 && seen !== "after the copy"; i++) {
      seen = psql(ports.replica, "select body from notes where id = 2").out;
      if (seen !== "after the copy") await new Promise((r) => setTimeout(r, 500));
    }
    expect(seen).toBe("after the copy");
    // Streaming, as replicator, from the primary's point of view.
    expect(psql(ports.primary, "select usename, application_name, state from pg_stat_replication").out).toBe("replicator|micropod-replica|streaming");
    // Read-only: a write is refused on the replica.
    expect(psql(ports.replica, "insert into notes values (3, 'x')").out).toContain("cannot execute INSERT in a read-only transaction");
    // The password lives in the owner-only passfile, not in the replica's configuration.
    const passfile = join(work, "replica", "replication.pgpass");
    expect(statSync(passfile).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(work, "replica", "data", "micropod.conf"), "utf8")).toContain(
      `primary_conninfo = 'host=127.0.0.1 port=${ports.primary} user=replicator passfile=${passfile} application_name=micropod-replica'\nhot_standby = on\n`,
    );
    for (const f of ["micropod.conf", "postgresql.auto.conf"]) expect(readFileSync(join(work, "replica", "data", f), "utf8")).not.toContain("quotes");

    // A restart keeps the copy (no second pg_basebackup) and is still a standby.
    expect(await stop(replica)).toBe(0);
    const again = start("postgresql-replica", join(work, "replica"), ports.replica, { PG_PRIMARY_HOST: "127.0.0.1", PG_PRIMARY_PORT: String(ports.primary) });
    await waitReady(again, ports.replica);
    expect(again.output()).not.toContain("copying the primary");
    expect(psql(ports.replica, "select pg_is_in_recovery(), count(*) from notes").out).toBe("t|2");
    expect(await stop(again)).toBe(0);
    expect(await stop(primary)).toBe(0);
  });
});
