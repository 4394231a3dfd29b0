import { readFile, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { ExitCode, MicropodError, PrerequisiteError, UsageError } from "../core/errors.js";
import { withLock } from "../core/lock.js";
import { copyToContainer } from "../podman/container.js";
import { roleServiceName, writerServices } from "../suite/roles.js";
import { type BackupManifest, DUMP_FILE, MANIFEST_FILE } from "./backup-layout.js";
import type { OpsContext } from "./context.js";
import {
  type TableSums,
  allowConnectionsSql,
  createDatabaseSql,
  databaseFactsSql,
  dropDatabaseSql,
  giveToSuperuser,
  maintenanceDatabase,
  parseDatabaseFacts,
  parseTableSums,
  pgRestore,
  pgRestoreList,
  psql,
  psqlScript,
  removeInContainer,
  rowsOf,
  swapDatabasesScript,
  tableSumsSql,
  tablesInDump,
} from "./postgres.js";
import { requireRunning, runningServices } from "./running.js";
import { startAndWait, stopForOperation } from "./engine.js";

export interface RestoreOptions {
  /** Stop web and sidekiq first (and start them again afterwards) instead of refusing. */
  readonly stopWriters?: boolean;
}

export interface RestoreResult {
  readonly dump: string;
  readonly tables: number;
  readonly rowCounts: Readonly<Record<string, number>>;
}

/** A backup directory or a dump file; its manifest sits next to the dump when there is one. */
export async function locateDump(path: string): Promise<{ dump: string; manifest?: BackupManifest }> {
  const p = resolve(path);
  const st = await stat(p).catch(() => undefined);
  if (!st) throw new UsageError(`${p}: no such file or directory`);
  const dump = st.isDirectory() ? join(p, DUMP_FILE) : p;
  if (!(await stat(dump).then((s) => s.isFile(), () => false))) throw new UsageError(`${p}: no ${DUMP_FILE} in this directory`);
  const text = await readFile(join(dirname(dump), MANIFEST_FILE), "utf8").catch(() => undefined);
  return text ? { dump, manifest: JSON.parse(text) as BackupManifest } : { dump };
}

/**
 * How the restored database differs from what the backup holds: tables missing or extra (the
 * database holds the backup's tables and nothing else), and per table rows or checksum that
 * differ. Without a manifest, the dump's table list is what it must hold. Empty: identical.
 */
export function verifyAgainst(expected: { manifest?: BackupManifest; dumpTables: readonly string[] }, actual: TableSums): string[] {
  const tables = expected.manifest ? Object.keys(expected.manifest.rowCounts) : expected.dumpTables;
  const want = new Set(tables);
  const out = [
    ...tables.filter((t) => !(t in actual)).map((t) => `${t}: in the backup, missing after the restore`),
    ...Object.keys(actual).filter((t) => !want.has(t)).map((t) => `${t}: not in the backup, present after the restore`),
  ];
  const m = expected.manifest;
  if (m) {
    for (const t of tables.filter((x) => x in actual)) {
      if (actual[t]!.rows !== m.rowCounts[t]) out.push(`${t}: ${m.rowCounts[t]} rows in the backup, ${actual[t]!.rows} restored`);
      else if (m.checksums && actual[t]!.checksum !== m.checksums[t]) out.push(`${t}: same row count, different rows (checksum ${m.checksums[t]} in the backup, ${actual[t]!.checksum} restored)`);
    }
  }
  return out.sort();
}

/** Names the restore works under, beside the live database (PostgreSQL names hold 63 bytes). */
export function restoreNames(database: string): { restoring: string; replaced: string } {
  const names = { restoring: `${database}_micropod_restore`, replaced: `${database}_micropod_replaced` };
  if (Buffer.byteLength(names.replaced) > 63) throw new UsageError(`database name ${database} is too long to restore beside it (${names.replaced} exceeds PostgreSQL's 63 bytes)`);
  return names;
}

type RestoreCtx = Pick<OpsContext, "runner" | "logger" | "out" | "clock" | "suite" | "config" | "signal">;

/**
 * `micropod restore FILE`: the backup becomes the database, exactly. The dump is restored into a
 * new database created from template0 beside the live one (all or nothing: pg_restore
 * --single-transaction), verified there against the manifest (same tables, and in each the same
 * row count and checksum as the dump's snapshot), and only then swapped in by two renames in one
 * transaction; the database it replaces is dropped. Any failure before the swap leaves the live
 * database untouched and drops the new one. Refuses while web or sidekiq run: what they wrote
 * after the backup is what a restore discards, and they would go on writing to the old database.
 */
export async function restore(ctx: RestoreCtx, path: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const { dump, manifest } = await locateDump(path);
  const db = manifest?.database ?? ctx.config.vars.DB_NAME ?? "mastodon";
  const names = restoreNames(db);
  return withLock(ctx.config.paths.lock, { verb: "restore", clock: ctx.clock, signal: ctx.signal }, async () => {
    const container = await requireRunning(ctx.runner, ctx.suite, roleServiceName(ctx.suite, "database"));
    const sql = (text: string, database = maintenanceDatabase) => ctx.runner.run(psql(container, database, text));
    const live = parseDatabaseFacts((await sql(databaseFactsSql(db))).stdout);
    if (!live) throw new PrerequisiteError(`database ${db} does not exist in ${container}: start the suite once (maintaindb creates it), then restore`, "micropod start");
    const writers = await runningServices(ctx.runner, ctx.suite, writerServices(ctx.suite));
    if (writers.length > 0 && !opts.stopWriters) {
      throw new PrerequisiteError(`refusing to restore while ${writers.join(", ")} ${writers.length === 1 ? "is" : "are"} running: they write to the database`, `micropod restore ${path} --stop-writers`);
    }
    let stopped: string[] = [];
    if (writers.length > 0) {
      ctx.logger.info({ services: writers }, "stopping the writers");
      stopped = await stopForOperation(ctx, writers);
    }
    const inside = `/tmp/micropod-restore-${basename(dump)}`;
    let result: RestoreResult;
    let swapped = false;
    try {
      await ctx.runner.run(copyToContainer(dump, container, inside));
      await ctx.runner.run(giveToSuperuser(container, inside));
      const dumpTables = tablesInDump((await ctx.runner.run(pgRestoreList(container, inside))).stdout);
      // A database left by an interrupted restore carries our name and nothing anyone uses.
      await sql(dropDatabaseSql(names.restoring));
      await sql(createDatabaseSql(names.restoring, live));
      ctx.logger.info({ database: names.restoring, tables: dumpTables.length }, "restoring into a new database");
      await ctx.runner.run(pgRestore(container, names.restoring, inside));
      const sums = parseTableSums((await ctx.runner.run(psqlScript(container, names.restoring, tableSumsSql))).stdout);
      const problems = verifyAgainst({ ...(manifest ? { manifest } : {}), dumpTables }, sums);
      if (problems.length) {
        throw new MicropodError(`restore verification failed: the restored database differs from the backup${manifest ? "'s manifest" : "'s table list"}; ${db} is unchanged`, ExitCode.failure, problems);
      }
      ctx.logger.info({ database: db }, "verified; swapping the restored database in");
      try {
        await ctx.runner.run(psqlScript(container, maintenanceDatabase, swapDatabasesScript(db, names.restoring, names.replaced)));
      } catch (err) {
        // The renames roll back together: the live database is still there; let sessions in again.
        await ctx.runner.run(psql(container, maintenanceDatabase, allowConnectionsSql(db, true)), { allowFailure: true });
        throw err;
      }
      swapped = true;
      const drop = await ctx.runner.run(psql(container, maintenanceDatabase, dropDatabaseSql(names.replaced)), { allowFailure: true });
      if (drop.exitCode !== 0) ctx.logger.warn({ database: names.replaced }, `could not drop the replaced database ${names.replaced}: ${drop.stderr.trim()}; drop it by hand`);
      result = { dump, tables: Object.keys(sums).length, rowCounts: rowsOf(sums) };
    } finally {
      await ctx.runner.run(removeInContainer(container, inside), { allowFailure: true });
      if (!swapped) await ctx.runner.run(psql(container, maintenanceDatabase, dropDatabaseSql(names.restoring)), { allowFailure: true });
      // Whatever happened, the database the writers find is whole: the old one, or the verified backup.
      if (stopped.length > 0) {
        ctx.logger.info({ services: stopped }, swapped ? "starting the writers (and what runs on them) again" : `restore failed, ${db} is unchanged: starting the writers again`);
        await startAndWait(ctx, stopped);
      }
    }
    const rows = Object.values(result.rowCounts).reduce((a, b) => a + b, 0);
    ctx.out(`restored ${dump} into ${db}: ${result.tables} tables, ${rows} rows, verified against the backup ${manifest ? "manifest" : "dump's table list"}`);
    return result;
  });
}
