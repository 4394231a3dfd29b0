import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, statSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CommandFailedError, MicropodError, PrerequisiteError } from "../../src/core/errors.js";
import { Redactor } from "../../src/core/redact.js";
import { backup } from "../../src/ops/backup.js";
import { enableQueryStats } from "../../src/ops/query-stats.js";
import { restore } from "../../src/ops/restore.js";
import { createPodmanSandbox, type PodmanSandbox } from "../support/podman-env.js";
import { freePort } from "../support/free-port.js";
import { tempDir } from "../support/temp.js";
import { SandboxRunner, logBuffer, newCluster, opsContext, runSleeper, service, suiteOf, untilHealthy } from "./support.js";

/**
 * Real PostgreSQL 15 (Debian's) in a real podman container: backup, restore into a fresh
 * cluster and over a database that changed since, a backup taken while a writer inserts, the
 * writers guard, and query-stats idempotency.
 */
let sandbox: PodmanSandbox;
let root: string;
let port: number;
let latest: { ctx: ReturnType<typeof opsContext> & { logs: ReturnType<typeof logBuffer> }; runner: SandboxRunner } | undefined;

/** What maintaindb leaves on a fresh cluster: the role and its empty database. */
const seed = () => {
  psql("postgres", "CREATE ROLE mastodon LOGIN");
  psql("postgres", "CREATE DATABASE mastodon OWNER mastodon");
};
const schema = `
SET ROLE mastodon;
CREATE TABLE accounts (id bigserial PRIMARY KEY, username text NOT NULL UNIQUE, created_at timestamptz NOT NULL);
CREATE TABLE statuses (id bigserial PRIMARY KEY, account_id bigint NOT NULL REFERENCES accounts(id), text text NOT NULL);
INSERT INTO accounts (username, created_at) SELECT 'user' || g, timestamptz '2024-01-01' + g * interval '1 hour' FROM generate_series(1, 300) g;
INSERT INTO statuses (account_id, text) SELECT 1 + g % 300, md5(g::text) || ' status ' || g FROM generate_series(1, 2000) g;
`;
const checksumSql =
  "SELECT (SELECT md5(string_agg(a::text, ',' ORDER BY id)) FROM accounts a) || ':' || (SELECT md5(string_agg(s::text, ',' ORDER BY id)) FROM statuses s) || ':' || (SELECT last_value FROM statuses_id_seq)";

const psql = (db: string, sql: string) =>
  sandbox.podman(["exec", "--user", "postgres", "mastodon-postgresql", "psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", sql]).trim();
/** The tables of every non-system schema, and who owns them and the database. */
const layout = () =>
  psql("mastodon", "SELECT string_agg(schemaname || '.' || tablename || ':' || tableowner, ' ' ORDER BY 1) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')") +
  ` db-owner:${psql("postgres", "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'mastodon'")}`;
const databases = () => psql("postgres", "SELECT string_agg(datname, ' ' ORDER BY datname) FROM pg_database WHERE NOT datistemplate");
const latestBackup = (ctx: ReturnType<typeof opsContext>) => join(ctx.config.paths.data, "backups", readdirSync(join(ctx.config.paths.data, "backups")).sort().at(-1)!);

async function startCluster(name: string) {
  const { service: pg, run } = newCluster(root, port, name);
  sandbox.podman(run);
  // Written as the bundled compose file orders them: the engine breaks ties between independent
  // services by file order. sidekiq-default is a writer because its command runs Sidekiq (the
  // container the test starts by hand just sleeps).
  const sidekiq = service("sidekiq-default", { stopGracePeriodMs: 1000, command: ["bundle", "exec", "sidekiq", "-q", "default", "-g", "mastodon-sidekiq-default"] });
  const suite = suiteOf(join(root, "compose.yaml"), [pg, sidekiq, service("web", { stopGracePeriodMs: 1000 })]);
  const redactor = new Redactor();
  const logs = logBuffer(redactor);
  const runner = new SandboxRunner(sandbox.env, redactor);
  const ctx = Object.assign(opsContext(root, suite, runner, { redactor, logger: logs.logger }), { logs });
  await untilHealthy(ctx, "postgresql");
  latest = { ctx, runner };
  return latest;
}

beforeAll(async () => {
  sandbox = createPodmanSandbox();
  sandbox.busyboxImage();
  root = tempDir("micropod-ops-pg-");
  port = await freePort();
});


describe("backup and restore on a real PostgreSQL", () => {
  it("a backup restored into a fresh cluster has the same rows", async () => {
    const a = await startCluster("cluster-a");
    seed();
    psql("mastodon", schema);
    const before = psql("mastodon", checksumSql);

    const b1 = await backup(a.ctx, { keep: 2 });
    expect(statSync(b1.dump).mode & 0o777).toBe(0o600);
    expect(readdirSync(b1.dir).sort()).toEqual(["manifest.json", "mastodon.dump", "micropod.env", "secrets.env"]);
    for (const f of readdirSync(b1.dir)) expect(statSync(join(b1.dir, f)).mode & 0o777).toBe(0o600);
    expect(statSync(b1.dir).mode & 0o777).toBe(0o700);
    const manifest = JSON.parse(readFileSync(join(b1.dir, "manifest.json"), "utf8"));
    expect(manifest.rowCounts).toEqual({ "public.accounts": 300, "public.statuses": 2000 });
    expect(manifest.writersRunning).toEqual([]);
    // The dump was taken inside the container and copied out; nothing is left behind in it.
    expect(sandbox.podman(["exec", "mastodon-postgresql", "sh", "-c", "ls /tmp | grep micropod-backup || true"]).trim()).toBe("");

    // Rotation: three backups with --keep 2 leave the newest two.
    await new Promise((r) => setTimeout(r, 1100));
    const b2 = await backup(a.ctx, { keep: 2 });
    await new Promise((r) => setTimeout(r, 1100));
    const b3 = await backup(a.ctx, { keep: 2 });
    expect(b3.removed).toEqual([b1.dir]);
    expect(readdirSync(join(a.ctx.config.paths.data, "backups")).sort()).toEqual([b2.dir, b3.dir].map((d) => d.split("/").pop()).sort());

    // A fresh cluster: only the role and the empty database exist, as maintaindb would leave them.
    sandbox.podman(["rm", "--force", "--time", "30", "mastodon-postgresql"]);
    const b = await startCluster("cluster-b");
    seed();
    expect(psql("mastodon", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).toBe("0");

    const r = await restore(b.ctx, b3.dir);
    expect(r.tables).toBe(2);
    expect(psql("mastodon", checksumSql)).toBe(before);
    expect(layout()).toBe("public.accounts:mastodon public.statuses:mastodon db-owner:mastodon");
    expect(b.ctx.printed.at(-1)).toBe(`restored ${b3.dump} into mastodon: 2 tables, 2300 rows, verified against the backup manifest`);
    expect(databases()).toBe("mastodon postgres");
  });

  it("a restore over a database that gained a table, a schema and rows after the backup leaves exactly the backup's", async () => {
    const { ctx } = latest!;
    const dir = latestBackup(ctx);
    const before = psql("mastodon", checksumSql);
    const tables = layout();
    // What a newer release's migration, or a day of writes, leaves behind.
    psql("mastodon", "SET ROLE mastodon; CREATE TABLE public.newer_feature (id bigserial PRIMARY KEY, v text); INSERT INTO public.newer_feature (v) SELECT 'x' FROM generate_series(1, 10)");
    psql("mastodon", "CREATE SCHEMA extra AUTHORIZATION mastodon; SET ROLE mastodon; CREATE TABLE extra.t (id int)");
    psql("mastodon", "INSERT INTO statuses (account_id, text) SELECT 1, 'after the backup ' || g FROM generate_series(1, 50) g; DELETE FROM accounts WHERE id = 300 AND NOT EXISTS (SELECT 1 FROM statuses WHERE account_id = 300)");
    expect(psql("mastodon", checksumSql)).not.toBe(before);

    const r = await restore(ctx, dir);
    expect(psql("mastodon", checksumSql)).toBe(before);
    expect(layout()).toBe(tables);
    expect(psql("mastodon", "SELECT count(*) FROM pg_namespace WHERE nspname = 'extra'")).toBe("0");
    expect(r.rowCounts).toEqual({ "public.accounts": 300, "public.statuses": 2000 });
    // Nothing of the swap is left: the replaced database is dropped, the new one took its name.
    expect(databases()).toBe("mastodon postgres");
    expect(ctx.logs.text()).not.toContain('"level":40');
  });

  it("a restore that does not verify changes nothing and says which table differs", async () => {
    const { ctx } = latest!;
    const good = latestBackup(ctx);
    const tampered = mkdtempSync(join(root, "tampered-"));
    for (const f of readdirSync(good)) writeFileSync(join(tampered, f), readFileSync(join(good, f)), { mode: 0o600 });
    const manifest = JSON.parse(readFileSync(join(tampered, "manifest.json"), "utf8"));
    manifest.checksums["public.statuses"] = "12345";
    writeFileSync(join(tampered, "manifest.json"), JSON.stringify(manifest));
    psql("mastodon", "SET ROLE mastodon; CREATE TABLE public.kept (id int)");
    const before = psql("mastodon", checksumSql);
    const err = (await restore(ctx, tampered).catch((e: unknown) => e)) as MicropodError;
    expect(err).toBeInstanceOf(MicropodError);
    expect(err.message).toBe("restore verification failed: the restored database differs from the backup's manifest; mastodon is unchanged");
    expect(err.details).toEqual([expect.stringMatching(/^public\.statuses: same row count, different rows \(checksum 12345 in the backup, -?\d+ restored\)$/)]);
    expect(psql("mastodon", checksumSql)).toBe(before);
    expect(psql("mastodon", "SELECT count(*) FROM pg_tables WHERE tablename = 'kept'")).toBe("1");
    expect(databases()).toBe("mastodon postgres");
    psql("mastodon", "DROP TABLE public.kept");
  });

  it("a backup taken while a writer inserts continuously restores verified, with no warning", async () => {
    const { ctx } = latest!;
    const count = () => Number(psql("mastodon", "SELECT count(*) FROM statuses"));
    // One session committing an insert every millisecond, for as long as the test lets it.
    const writer: ChildProcess = spawn(
      "podman",
      ["exec", "--user", "postgres", "--env", "PGAPPNAME=micropod-test-writer", "mastodon-postgresql", "psql", "-X", "-q", "-d", "mastodon", "-c",
        "DO $$ BEGIN LOOP INSERT INTO statuses (account_id, text) VALUES (1, 'written during the backup'); COMMIT; PERFORM pg_sleep(0.001); END LOOP; END $$"],
      { env: { ...process.env, ...sandbox.env }, stdio: "ignore" },
    );
    let during: number;
    let after: number;
    let b: Awaited<ReturnType<typeof backup>>;
    try {
      const start = Date.now();
      while (count() <= 2050 && Date.now() - start < 30_000) await new Promise((r) => setTimeout(r, 100));
      during = count();
      b = await backup(ctx, { keep: 10 });
      after = count();
    } finally {
      psql("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'micropod-test-writer'");
      writer.kill();
    }
    const manifest = JSON.parse(readFileSync(join(b.dir, "manifest.json"), "utf8"));
    // The writer ran all along: the dump's snapshot holds more rows than before it, fewer than after it.
    expect(during).toBeGreaterThan(2050);
    expect(manifest.rowCounts["public.statuses"]).toBeGreaterThan(during);
    expect(after).toBeGreaterThan(manifest.rowCounts["public.statuses"]);

    const r = await restore(ctx, b.dir);
    expect(r.rowCounts["public.statuses"]).toBe(manifest.rowCounts["public.statuses"]);
    expect(count()).toBe(manifest.rowCounts["public.statuses"]);
    expect(ctx.printed.at(-1)).toMatch(/verified against the backup manifest$/);
    expect(ctx.logs.text()).not.toContain('"level":40');
  });

  it("refuses while web or sidekiq run; --stop-writers stops them, restores, starts them again", async () => {
    const { ctx, runner } = latest!;
    const dir = latestBackup(ctx);
    runSleeper(sandbox, "web");
    runSleeper(sandbox, "sidekiq-default");
    runner.calls.length = 0;
    const err = await restore(ctx, dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PrerequisiteError);
    expect((err as PrerequisiteError).message).toBe("refusing to restore while web, sidekiq-default are running: they write to the database");
    expect((err as PrerequisiteError).details).toEqual([`fix: micropod restore ${dir} --stop-writers`]);
    expect(runner.calls.some((c) => c[0] === "podman" && c[1] === "cp")).toBe(false);

    runner.calls.length = 0;
    await restore(ctx, dir, { stopWriters: true });
    // psql shown by its database and the start of its SQL (scripts on standard input as "<script>").
    const steps = runner.calls
      .filter((c) => ["stop", "start", "cp"].includes(c[1]!) || c.includes("pg_restore") || c.includes("chown") || c.includes("psql"))
      .map((c) => (c.includes("psql") ? `psql ${c[c.indexOf("-d") + 1]} ${c.includes("-c") ? c.at(-1)!.split(" ").slice(0, 3).join(" ") : "<script>"}` : c.join(" ")));
    expect(steps).toEqual([
      "psql postgres SELECT pg_get_userbyid(datdba) ||",
      // Writers free to stop at once with the same grace stop in one podman stop (engine/stop.ts).
      "podman stop --time 1 mastodon-web mastodon-sidekiq-default",
      `podman cp ${dir}/mastodon.dump mastodon-postgresql:/tmp/micropod-restore-mastodon.dump`,
      "podman exec --user root mastodon-postgresql chown postgres /tmp/micropod-restore-mastodon.dump",
      "podman exec --user postgres mastodon-postgresql pg_restore --list /tmp/micropod-restore-mastodon.dump",
      'psql postgres DROP DATABASE IF',
      'psql postgres CREATE DATABASE "mastodon_micropod_restore"',
      "podman exec --user postgres mastodon-postgresql pg_restore --single-transaction --dbname mastodon_micropod_restore /tmp/micropod-restore-mastodon.dump",
      "psql mastodon_micropod_restore <script>",
      "psql postgres <script>",
      "psql postgres DROP DATABASE IF",
      "podman start mastodon-sidekiq-default",
      "podman start mastodon-web",
    ]);
    expect(sandbox.podman(["ps", "--format", "{{.Names}}"]).split("\n").filter((n) => n !== "mastodon-postgresql" && n).sort()).toEqual([
      "mastodon-sidekiq-default",
      "mastodon-web",
    ]);
    sandbox.podman(["rm", "--force", "--time", "0", "mastodon-web", "mastodon-sidekiq-default"]);
  });
  it("a dump that fails to restore leaves the database as it was and starts the stopped writers again", async () => {
    const { ctx, runner } = latest!;
    const good = join(latestBackup(ctx), "mastodon.dump");
    // Cut in half: the table of contents at the front still lists, the table data runs out mid-restore.
    const bytes = readFileSync(good);
    const corrupt = join(mkdtempSync(join(root, "corrupt-")), "mastodon.dump");
    writeFileSync(corrupt, bytes.subarray(0, Math.floor(bytes.length / 2)), { mode: 0o600 });
    const before = psql("mastodon", checksumSql);
    runSleeper(sandbox, "web");
    runSleeper(sandbox, "sidekiq-default");
    runner.calls.length = 0;
    const err = await restore(ctx, corrupt, { stopWriters: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandFailedError);
    expect((err as CommandFailedError).command).toContain("pg_restore --single-transaction --dbname mastodon_micropod_restore");
    expect(psql("mastodon", checksumSql)).toBe(before);
    expect(databases()).toBe("mastodon postgres");
    const steps = runner.calls.filter((c) => ["stop", "start"].includes(c[1]!)).map((c) => c.join(" "));
    expect(steps).toEqual(["podman stop --time 1 mastodon-web mastodon-sidekiq-default", "podman start mastodon-sidekiq-default", "podman start mastodon-web"]);
    expect(sandbox.podman(["ps", "--format", "{{.Names}}"]).split("\n").filter((n) => n !== "mastodon-postgresql" && n).sort()).toEqual([
      "mastodon-sidekiq-default",
      "mastodon-web",
    ]);
    sandbox.podman(["rm", "--force", "--time", "0", "mastodon-web", "mastodon-sidekiq-default"]);
  });
});

describe("db query-stats enable on a real PostgreSQL", () => {
  it("loads pg_stat_statements with one restart, and a second run restarts nothing", async () => {
    const { ctx, runner } = latest!;
    const startedAt = () => psql("postgres", "SELECT pg_postmaster_start_time()");
    const t0 = startedAt();
    runner.calls.length = 0;
    const first = await enableQueryStats(ctx);
    expect(first).toEqual({ restarted: true, libraries: ["pg_stat_statements"] });
    const t1 = startedAt();
    expect(t1).not.toBe(t0);
    expect(psql("mastodon", "SHOW shared_preload_libraries")).toBe("pg_stat_statements");
    expect(psql("mastodon", "SELECT extname FROM pg_extension WHERE extname = 'pg_stat_statements'")).toBe("pg_stat_statements");
    expect(Number(psql("mastodon", "SELECT count(*) FROM pg_stat_statements"))).toBeGreaterThan(0);

    const second = await enableQueryStats(ctx);
    expect(second).toEqual({ restarted: false, libraries: ["pg_stat_statements"] });
    expect(startedAt()).toBe(t1);
    const restarts = runner.calls.filter((c) => c[1] === "stop" && c.at(-1) === "mastodon-postgresql");
    expect(restarts.map((c) => c.join(" "))).toEqual(["podman stop --time 30 mastodon-postgresql"]);
    expect(ctx.printed.slice(-2)).toEqual([
      "query stats enabled: pg_stat_statements loaded (postgresql restarted once) and created in mastodon",
      "query stats already enabled in mastodon; postgresql not restarted",
    ]);
  });
});
