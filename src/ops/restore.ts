import { readFile, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { ExitCode, MicropodError, PrerequisiteError, UsageError } from "../core/errors.js";
import { withLock } from "../core/lock.js";
import { copyToContainer } from "../podman/container.js";
import { type BackupManifest, DUMP_FILE, MANIFEST_FILE } from "./backup-layout.js";
import type { OpsContext } from "./context.js";
import { giveToSuperuser, parseRowCounts, pgRestore, pgRestoreList, psql, removeInContainer, rowCountsSql, tablesInDump } from "./postgres.js";
import { requireRunning, runningServices } from "./running.js";
import { roleServiceName, writerServices } from "../suite/roles.js";
import { startAndWait, stopForOperation } from "./engine.js";

export interface RestoreOptions {
  /** Stop web and sidekiq first (and start them again afterwards) instead of refusing. */
  readonly stopWriters?: boolean;
}

export interface RestoreResult {
  readonly dump: string;
  readonly tables: number;
  readonly rowCounts: Readonly<Record<string, number>>;
  /** Tables whose count differs from the manifest's, when writers ran during the backup. */
  readonly drift: readonly string[];
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

/** Compare the restored counts with the manifest: tables missing, and tables whose count differs. */
export function compareCounts(expected: Readonly<Record<string, number>>, actual: Readonly<Record<string, number>>): { missing: string[]; differing: string[] } {
  const missing = Object.keys(expected).filter((t) => !(t in actual)).sort();
  const differing = Object.keys(expected)
    .filter((t) => t in actual && actual[t] !== expected[t])
    .sort()
    .map((t) => `${t}: ${expected[t]} in the backup, ${actual[t]} restored`);
  return { missing, differing };
}

/**
 * `micropod restore FILE`: the dump back into the Mastodon database in one transaction (all or
 * nothing), then verified: every table the dump carries data for exists, and row counts match
 * the backup's manifest. Refuses while web or sidekiq run: they would write into a database
 * being replaced under them.
 */
export async function restore(ctx: Pick<OpsContext, "runner" | "logger" | "out" | "clock" | "suite" | "config" | "signal">, path: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const { dump, manifest } = await locateDump(path);
  return withLock(ctx.config.paths.lock, { verb: "restore", clock: ctx.clock, ...(ctx.signal ? { signal: ctx.signal } : {}) }, async () => {
    const container = await requireRunning(ctx.runner, ctx.suite, roleServiceName(ctx.suite, "database"));
    const db = manifest?.database ?? ctx.config.vars.DB_NAME ?? "mastodon";
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
    // Until pg_restore commits, the database is as it was: a failure starts the writers again.
    // After it, a failed verification leaves them stopped on purpose, and says so.
    let committed = false;
    try {
      await ctx.runner.run(copyToContainer(dump, container, inside));
      await ctx.runner.run(giveToSuperuser(container, inside));
      const tables = tablesInDump((await ctx.runner.run(pgRestoreList(container, inside))).stdout);
      ctx.logger.info({ database: db, tables: tables.length }, "restoring");
      await ctx.runner.run(pgRestore(container, db, inside));
      committed = true;
      const rowCounts = parseRowCounts((await ctx.runner.run(psql(container, db, rowCountsSql))).stdout);
      const missing = tables.filter((t) => !(t in rowCounts));
      if (missing.length) throw new MicropodError(`restore verification failed: ${missing.length} table(s) of the dump are missing`, ExitCode.failure, missing);
      let drift: string[] = [];
      if (manifest) {
        const cmp = compareCounts(manifest.rowCounts, rowCounts);
        if (cmp.missing.length) throw new MicropodError("restore verification failed: tables of the backup are missing", ExitCode.failure, cmp.missing);
        if (cmp.differing.length && manifest.writersRunning.length === 0) {
          throw new MicropodError("restore verification failed: row counts differ from the backup's", ExitCode.failure, cmp.differing);
        }
        // Writers ran during the backup: the counts were taken a moment after the dump's snapshot.
        drift = cmp.differing;
        for (const d of drift) ctx.logger.warn(`row count drift (writers ran during the backup): ${d}`);
      }
      result = { dump, tables: tables.length, rowCounts, drift };
    } catch (err) {
      if (committed && stopped.length > 0) throw withStoppedNote(err, stopped);
      throw err;
    } finally {
      await ctx.runner.run(removeInContainer(container, inside), { allowFailure: true });
      if (!committed && stopped.length > 0) {
        ctx.logger.info({ services: stopped }, "restore failed, the database is unchanged: starting the writers again");
        await startAndWait(ctx, stopped);
      }
    }
    if (stopped.length > 0) {
      ctx.logger.info({ services: stopped }, "starting the writers (and what runs on them) again");
      await startAndWait(ctx, stopped);
    }
    const rows = Object.values(result.rowCounts).reduce((a, b) => a + b, 0);
    ctx.out(`restored ${dump} into ${db}: ${result.tables} tables, ${rows} rows, verified${manifest ? " against the backup manifest" : ""}`);
    return result;
  });
}

/** The restore committed but did not verify: what it left stopped, and how to bring it back. */
function withStoppedNote(err: unknown, stopped: readonly string[]): MicropodError {
  const note = `stopped: ${stopped.join(", ")}; start them with \`micropod start\` once the database is checked`;
  if (err instanceof MicropodError) return new MicropodError(err.message, err.exitCode, [...err.details, note]);
  return new MicropodError(err instanceof Error ? err.message : String(err), ExitCode.failure, [note]);
}
