import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { chmod, copyFile, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export interface WriteOptions {
  /** File mode for a new file; an existing file keeps its mode unless this is given. */
  readonly mode?: number;
  /** Copy the previous content to `<path>.micropod-backup` (or this path) before replacing it. */
  readonly backup?: boolean | string;
  /** Create missing parent directories (mode 0755). */
  readonly mkdirs?: boolean;
}

export interface WriteResult {
  readonly path: string;
  readonly backupPath?: string;
}

/**
 * Write a file atomically: a temp file in the same directory, fsync, chmod, rename. A reader
 * sees the old content or the new one, never half of either; an error leaves no temp file.
 */
export async function writeFileAtomic(path: string, content: string | Uint8Array, opts: WriteOptions = {}): Promise<WriteResult> {
  const dir = dirname(path);
  if (opts.mkdirs) await mkdir(dir, { recursive: true, mode: 0o755 });
  const previous = await stat(path).catch(() => undefined);
  const mode = opts.mode ?? (previous ? previous.mode & 0o7777 : 0o644);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  let backupPath: string | undefined;
  try {
    // O_EXCL: never follow or reuse something an attacker placed at the temp name.
    const fh = await open(tmp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, mode);
    try {
      await fh.writeFile(content);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await chmod(tmp, mode); // open() honours the umask; the mode asked for is the one we want
    if (previous && opts.backup) {
      backupPath = typeof opts.backup === "string" ? opts.backup : `${path}.micropod-backup`;
      await copyFile(path, backupPath);
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return backupPath ? { path, backupPath } : { path };
}
