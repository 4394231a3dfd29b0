import { readdirSync, statSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommandFailedError, PrerequisiteError } from "../../src/core/errors.js";
import { backup } from "../../src/ops/backup.js";
import { enableQueryStats } from "../../src/ops/query-stats.js";
import { restore } from "../../src/ops/restore.js";
import { createPodmanSandbox, type PodmanSandbox } from "../support/podman-env.js";
import { SandboxRunner, freePort, newCluster, opsContext, runSleeper, service, suiteOf, tmpRoot, untilHealthy } from "./support.js";

/**
 * Real PostgreSQL 15 (Debian's) in a real podman container: backup, restore into a fresh
 * cluster, the writers guard, and query-stats idempotency.
 */
let sandbox: PodmanSandbox;
let root: string;
let port: number;
let latest: { ctx: ReturnType<typeof opsContext>; runner: SandboxRunner } | undefined;

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

async function startCluster(name: string) {
  const { service: pg, run } = newCluster(root, port, name);
  sandbox.podman(run);
  // Written as the bundled compose file orders them: the engine breaks ties between independent services by file order.
  const suite = suiteOf(join(root, "compose.yaml"), [pg, service("sidekiq-default", { stopGracePeriodMs: 1000 }), service("web", { stopGracePeriodMs: 1000 })]);
  const runner = new SandboxRunner(sandbox.env);
  const ctx = opsContext(root, suite, runner);
  await untilHealthy(ctx, "postgresql");
  latest = { ctx, runner };
  return latest;
}

beforeAll(async () => {
  sandbox = createPodmanSandbox();
  sandbox.busyboxImage();
  root = tmpRoot("micropod-ops-pg-");
  port = await freePort();
});

afterAll(() => sandbox?.cleanup());

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
    expect(r.drift).toEqual([]);
    expect(psql("mastodon", checksumSql)).toBe(before);
    expect(b.ctx.printed.at(-1)).toBe(`restored ${b3.dump} into mastodon: 2 tables, 2300 rows, verified against the backup manifest`);

    // Restoring again over the restored data (--clean --if-exists) gives the same rows again.
    psql("mastodon", "DELETE FROM statuses WHERE id > 1000");
    await restore(b.ctx, b3.dump);
    expect(psql("mastodon", checksumSql)).toBe(before);
  });

  it("refuses while web or sidekiq run; --stop-writers stops them, restores, starts them again", async () => {
    const { ctx, runner } = latest!;
    const dumpDir = readdirSync(join(ctx.config.paths.data, "backups")).sort().at(-1)!;
    const dir = join(ctx.config.paths.data, "backups", dumpDir);
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
    const steps = runner.calls.filter((c) => ["stop", "start", "cp"].includes(c[1]!) || c.includes("pg_restore") || c.includes("chown")).map((c) => c.join(" "));
    expect(steps).toEqual([
      "podman stop --time 1 mastodon-web",
      "podman stop --time 1 mastodon-sidekiq-default",
      `podman cp ${dir}/mastodon.dump mastodon-postgresql:/tmp/micropod-restore-mastodon.dump`,
      "podman exec --user root mastodon-postgresql chown postgres /tmp/micropod-restore-mastodon.dump",
      "podman exec --user postgres mastodon-postgresql pg_restore --list /tmp/micropod-restore-mastodon.dump",
      "podman exec --user postgres mastodon-postgresql pg_restore --clean --if-exists --single-transaction --dbname mastodon /tmp/micropod-restore-mastodon.dump",
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
    const good = join(ctx.config.paths.data, "backups", readdirSync(join(ctx.config.paths.data, "backups")).sort().at(-1)!, "mastodon.dump");
    // Cut in half: the table of contents at the front still lists, the table data runs out mid-restore.
    const bytes = readFileSync(good);
    const corrupt = join(tmpRoot("micropod-ops-corrupt-"), "mastodon.dump");
    writeFileSync(corrupt, bytes.subarray(0, Math.floor(bytes.length / 2)), { mode: 0o600 });
    const before = psql("mastodon", checksumSql);
    runSleeper(sandbox, "web");
    runSleeper(sandbox, "sidekiq-default");
    runner.calls.length = 0;
    const err = await restore(ctx, corrupt, { stopWriters: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandFailedError);
    expect((err as CommandFailedError).command).toContain("pg_restore --clean --if-exists --single-transaction");
    expect(psql("mastodon", checksumSql)).toBe(before);
    const steps = runner.calls.filter((c) => ["stop", "start"].includes(c[1]!)).map((c) => c.join(" "));
    expect(steps).toEqual(["podman stop --time 1 mastodon-web", "podman stop --time 1 mastodon-sidekiq-default", "podman start mastodon-sidekiq-default", "podman start mastodon-web"]);
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
