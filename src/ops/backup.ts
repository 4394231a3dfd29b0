import { chmod, copyFile, mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderCommand } from "../core/command.js";
import { CommandFailedError, UsageError } from "../core/errors.js";
import { copyFromContainer } from "../podman/container.js";
import type { OpsContext } from "./context.js";
import { type BackupManifest, DUMP_FILE, ENV_COPY, MANIFEST_FILE, SECRETS_COPY, SNAPSHOT_PREFIX, backupStamp, backupsRoot, isBackupStamp, toRotate } from "./backup-layout.js";
import { type TableSums, readSnapshotDump, removeInContainer, rowsOf, snapshotDump } from "./postgres.js";
import { requireRunning, runningServices } from "./running.js";
import { roleServiceName, writerServices } from "../suite/roles.js";
import { zfsDatasetOf, zfsDestroySnapshot, zfsListSnapshots, zfsSnapshot } from "../host/tools/zfs.js";

export interface BackupOptions {
  /** How many backups (and micropod ZFS snapshots) to keep, newest first. Default 7. */
  readonly keep?: number;
}

export interface BackupResult {
  readonly dir: string;
  readonly dump: string;
  readonly snapshot?: string;
  readonly removed: readonly string[];
}

export const defaultKeep = 7;

type BackupCtx = Pick<OpsContext, "runner" | "logger" | "out" | "clock" | "suite" | "config">;

/**
 * `micropod backup`: pg_dump (custom format) taken inside the database container and copied out,
 * the .env and the secrets file (0600), a manifest with the row counts and checksums of the
 * dump's own snapshot for restore to verify against, then a ZFS snapshot of the data dataset and
 * rotation.
 * Everything is written into a hidden directory renamed into place at the end: an interrupted
 * backup never looks like a complete one.
 */
export async function backup(ctx: BackupCtx, opts: BackupOptions = {}): Promise<BackupResult> {
  const keep = opts.keep ?? defaultKeep;
  if (!Number.isInteger(keep) || keep < 1) throw new UsageError(`--keep ${keep}: a whole number of backups, at least 1`);
  const container = await requireRunning(ctx.runner, ctx.suite, roleServiceName(ctx.suite, "database"));
  const db = ctx.config.vars.DB_NAME ?? "mastodon";
  const stamp = backupStamp(ctx.clock.now());
  const root = backupsRoot(ctx.config.paths.data);
  const dir = join(root, stamp);
  const partial = join(root, `.${stamp}.partial`);
  if (await exists(dir)) throw new UsageError(`${dir} already exists; wait a second and run backup again`);
  await mkdir(root, { recursive: true, mode: 0o700 });
  await mkdir(partial, { mode: 0o700 });
  const inside = `/tmp/micropod-backup-${stamp}.dump`;
  try {
    const writersRunning = await runningServices(ctx.runner, ctx.suite, writerServices(ctx.suite));
    ctx.logger.info({ database: db, container }, "dumping the database");
    let sums: TableSums = {};
    try {
      const session = snapshotDump(container, db, inside);
      const r = await ctx.runner.run(session);
      const read = readSnapshotDump(r.stdout);
      if (read.dumpExit !== 0) throw new CommandFailedError(renderCommand(session), { exitCode: read.dumpExit ?? 1, stdout: "", stderr: r.stderr });
      sums = read.sums;
      await ctx.runner.run(copyFromContainer(container, inside, join(partial, DUMP_FILE)));
    } finally {
      await ctx.runner.run(removeInContainer(container, inside), { allowFailure: true });
    }
    await chmod(join(partial, DUMP_FILE), 0o600);
    const files = [DUMP_FILE];
    await copyPrivate(ctx.config.envFile, join(partial, ENV_COPY));
    files.push(ENV_COPY);
    if (await exists(ctx.config.paths.secretsFile)) {
      await copyPrivate(ctx.config.paths.secretsFile, join(partial, SECRETS_COPY));
      files.push(SECRETS_COPY);
    }
    const manifest: BackupManifest = {
      createdAt: new Date(ctx.clock.now()).toISOString(),
      database: db,
      ...(ctx.config.vars.MASTODON_VERSION ? { mastodonVersion: ctx.config.vars.MASTODON_VERSION } : {}),
      writersRunning,
      rowCounts: rowsOf(sums),
      checksums: Object.fromEntries(Object.entries(sums).map(([t, s]) => [t, s.checksum])),
      files,
    };
    await writeFile(join(partial, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    await rename(partial, dir);
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  }
  const snap = await snapshotDataDataset(ctx, stamp, keep);
  const removed = await rotate(root, keep);
  for (const r of removed) ctx.logger.info({ removed: r }, "old backup removed");
  ctx.out(`backup ${dir}${snap.name ? ` (ZFS snapshot ${snap.name})` : ""}`);
  return { dir, dump: join(dir, DUMP_FILE), ...(snap.name ? { snapshot: snap.name } : {}), removed: [...removed, ...snap.removed] };
}

async function copyPrivate(src: string, dest: string): Promise<void> {
  await copyFile(src, dest);
  await chmod(dest, 0o600);
}

const exists = (p: string) => stat(p).then(() => true, () => false);

/** Snapshot the dataset DATA_DIR is on, when it is on ZFS (no zfs, or not a dataset: skipped). */
async function snapshotDataDataset(ctx: BackupCtx, stamp: string, keep: number): Promise<{ name?: string; removed: string[] }> {
  const r = await ctx.runner.run(zfsDatasetOf(ctx.config.paths.data), { allowFailure: true });
  const dataset = r.exitCode === 0 ? r.stdout.trim().split("\n")[0]?.trim() : undefined;
  if (!dataset) {
    ctx.logger.debug({ data: ctx.config.paths.data }, "data directory is not on ZFS: no snapshot");
    return { removed: [] };
  }
  const name = `${dataset}@${SNAPSHOT_PREFIX}${stamp}`;
  await ctx.runner.run(zfsSnapshot(name));
  const ours = (await ctx.runner.run(zfsListSnapshots(dataset))).stdout
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith(`${dataset}@${SNAPSHOT_PREFIX}`) && isBackupStamp(l.slice(dataset.length + 1 + SNAPSHOT_PREFIX.length)));
  const removed = toRotate(ours, keep);
  for (const s of removed) await ctx.runner.run(zfsDestroySnapshot(s));
  return { name, removed };
}

async function rotate(root: string, keep: number): Promise<string[]> {
  const names = (await readdir(root)).filter(isBackupStamp);
  const gone = toRotate(names, keep).map((n) => join(root, n));
  for (const g of gone) await rm(g, { recursive: true, force: true });
  return gone;
}
