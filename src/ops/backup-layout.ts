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
  /** Web or sidekiq were running during the dump: row counts taken after it may differ slightly. */
  readonly writersRunning: readonly string[];
  /** Row counts per table, counted right after the dump. */
  readonly rowCounts: Readonly<Record<string, number>>;
  readonly files: readonly string[];
}

/** Which entries to delete so only the newest `keep` remain (names sort by time). */
export function toRotate(names: readonly string[], keep: number): string[] {
  const sorted = [...names].sort();
  return keep >= sorted.length ? [] : sorted.slice(0, sorted.length - keep);
}
