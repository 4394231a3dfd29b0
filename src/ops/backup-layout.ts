import { join } from "node:path";

/** Backups live in <DATA_DIR>/backups/<timestamp>/, one directory each, newest sorting last. */
export const backupsRoot = (dataDir: string) => join(dataDir, "backups");

export const DUMP_FILE = "mastodon.dump";
export const MANIFEST_FILE = "manifest.json";
export const ENV_COPY = "micropod.env";
export const SECRETS_COPY = "secrets.env";
export const SNAPSHOT_PREFIX = "micropod-";

/** UTC, sortable, no colons (valid in file and ZFS snapshot names): 20261121T201208Z. */
export function backupStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, "Z").replace(/[-:]/g, "");
}

export const isBackupStamp = (name: string) => /^\d{8}T\d{6}Z$/.test(name);

/** What `restore` checks a restored database against. */
export interface BackupManifest {
  readonly createdAt: string;
  readonly database: string;
  readonly mastodonVersion?: string;
  /** Writers that ran during the dump (for the record: the counts below are exact whatever ran). */
  readonly writersRunning: readonly string[];
  /** Rows per table (`schema.table`), counted inside the dump's own snapshot. */
  readonly rowCounts: Readonly<Record<string, number>>;
  /**
   * Per table, the checksum of its rows in that snapshot (postgres.ts tableSumsSql). Absent from
   * manifests written before micropod took the counts inside the snapshot.
   */
  readonly checksums?: Readonly<Record<string, string>>;
  readonly files: readonly string[];
}

/** Which entries to delete so only the newest `keep` remain (names sort by time). */
export function toRotate(names: readonly string[], keep: number): string[] {
  const sorted = [...names].sort();
  return keep >= sorted.length ? [] : sorted.slice(0, sorted.length - keep);
}
