import type { Command } from "../core/command.js";
import { execInContainer } from "../podman/container.js";

/**
 * psql, pg_dump and pg_restore run inside the postgresql container as the database superuser over
 * the local socket, so no password travels anywhere and the server's own client tools (matching
 * its major version) do the work.
 */
export const superuser = "postgres";

export const psql = (container: string, database: string, sql: string): Command =>
  execInContainer(container, ["psql", "-X", "--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-q", "-t", "-A", "-d", database, "-c", sql], { user: superuser });

/** A consistent dump (one snapshot) in custom format, written inside the container. */
export const pgDump = (container: string, database: string, file: string): Command =>
  execInContainer(container, ["pg_dump", "--format=custom", "--file", file, database], { user: superuser });

/** All or nothing: --single-transaction rolls the whole restore back on the first error. */
export const pgRestore = (container: string, database: string, file: string): Command =>
  execInContainer(container, ["pg_restore", "--clean", "--if-exists", "--single-transaction", "--dbname", database, file], { user: superuser });

/** The dump's table of contents: which tables it carries data for. */
export const pgRestoreList = (container: string, file: string): Command =>
  execInContainer(container, ["pg_restore", "--list", file], { user: superuser });

/**
 * `podman cp` hands a copied file to the container's main user, which for the bundled image (no
 * USER: its entrypoint drops to postgres itself) is root; the backup's dump is 0600, so the
 * client tools running as postgres could not read it without this.
 */
export const giveToSuperuser = (container: string, file: string): Command => execInContainer(container, ["chown", superuser, file], { user: "root" });

export const removeInContainer = (container: string, file: string): Command => execInContainer(container, ["rm", "-f", file], { user: superuser });

/** Row count of every ordinary table outside the system schemas, one `schema.table|count` a line. */
export const rowCountsSql = `SELECT n.nspname || '.' || c.relname || '|' ||
  (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY 1`;

export function parseRowCounts(stdout: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of stdout.split("\n")) {
    const m = /^(.+)\|(\d+)$/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** Tables a custom-format dump carries data for, from `pg_restore --list` (`TABLE DATA schema name owner`). */
export function tablesInDump(list: string): string[] {
  const tables: string[] = [];
  for (const line of list.split("\n")) {
    const m = /^\d+; \d+ \d+ TABLE DATA (\S+) (\S+) /.exec(line);
    if (m) tables.push(`${m[1]}.${m[2]}`);
  }
  return tables.sort();
}
