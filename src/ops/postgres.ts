import type { Command } from "../core/command.js";
import { execInContainer } from "../podman/container.js";

/**
 * psql, pg_dump and pg_restore run inside the database container as the superuser over the local
 * socket, so no password travels anywhere and the server's own client tools (matching its major
 * version) do the work. Every PostgreSQL behaviour relied on here is checked against the
 * PostgreSQL 15 reference pages (SET TRANSACTION, pg_dump, psql, CREATE/ALTER/DROP DATABASE) and
 * src/backend/commands/dbcommands.c (RenameDatabase); the real-PostgreSQL tests exercise each.
 */
export const superuser = "postgres";

/** The maintenance database: CREATE, ALTER (RENAME) and DROP DATABASE cannot run inside the database they change. */
export const maintenanceDatabase = "postgres";

const psqlArgv = (database: string) => ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-q", "-t", "-A", "-d", database];

export const psql = (container: string, database: string, sql: string): Command =>
  execInContainer(container, [...psqlArgv(database), "-c", sql], { user: superuser });

/**
 * A psql script on standard input: each statement its own transaction unless the script says
 * BEGIN, and (ON_ERROR_STOP) the first failing one ends psql with exit status 3.
 */
export const psqlScript = (container: string, database: string, script: string): Command =>
  execInContainer(container, psqlArgv(database), { user: superuser, input: script });

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
export const quoteLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;
const shellWord = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`;

/**
 * Every ordinary table outside the system schemas, one `schema.table|rows|checksum` a line. The
 * checksum is the sum of the first 64 bits of each row's md5 as text: independent of row order,
 * computed in one pass without holding a table in memory, and the same for the same rows in any
 * database of the same server version. The settings fix how values print (time zone, date,
 * interval, float, bytea and money formats), so two sessions render a row alike. Other sessions'
 * temporary tables cannot be read, and are no part of a backup anyway.
 */
export const tableSumsSql = `SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
SET extra_float_digits = 1;
SET bytea_output = 'hex';
SET lc_monetary = 'C';
SELECT n.nspname || '.' || c.relname || '|' || (xpath('/row/n/text()', x))[1]::text || '|' || (xpath('/row/h/text()', x))[1]::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace,
  LATERAL query_to_xml(format('SELECT count(*) AS n, coalesce(sum((''x'' || substr(md5(ROW(r.*)::text), 1, 16))::bit(64)::bigint), 0) AS h FROM %I.%I r', n.nspname, c.relname), false, true, '') AS x
WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'
ORDER BY 1;`;

/** Rows and checksum per table (`schema.table`), as tableSumsSql prints them. */
export type TableSums = Record<string, { readonly rows: number; readonly checksum: string }>;

/** Rows per table, as the manifest and the restore's summary show them. */
export const rowsOf = (sums: TableSums): Record<string, number> => Object.fromEntries(Object.entries(sums).map(([t, s]) => [t, s.rows]));

export function parseTableSums(stdout: string): TableSums {
  const out: TableSums = {};
  for (const line of stdout.split("\n")) {
    const m = /^(.+)\|(\d+)\|(-?\d+)$/.exec(line.trim());
    if (m) out[m[1]!] = { rows: Number(m[2]), checksum: m[3]! };
  }
  return out;
}

/** The line the dump session prints with pg_dump's exit status (psql's `\!` does not report it before PostgreSQL 16). */
export const DUMP_STATUS = "micropod-pg_dump-exit=";

/**
 * One psql session that holds a REPEATABLE READ transaction open, exports its snapshot
 * (pg_export_snapshot), runs pg_dump on that very snapshot (--snapshot; pg_dump imports it with
 * SET TRANSACTION SNAPSHOT, which works only while the exporting transaction is open), then sums
 * every table in the same transaction: the manifest describes exactly the rows of the dump,
 * whatever web and Sidekiq wrote meanwhile. `\setenv` takes psql variables (`\!` does not
 * interpolate them); the shell `\!` runs expands the environment variable.
 */
export function snapshotDumpScript(database: string, file: string): string {
  return [
    "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;",
    "SELECT pg_export_snapshot() AS micropod_snapshot \\gset",
    "\\setenv MICROPOD_SNAPSHOT :micropod_snapshot",
    `\\! pg_dump --format=custom --snapshot="$MICROPOD_SNAPSHOT" --file ${shellWord(file)} ${shellWord(database)}; echo "${DUMP_STATUS}$?"`,
    tableSumsSql,
    "COMMIT;",
    "",
  ].join("\n");
}

/** A consistent dump (custom format) of `database` written to `file` inside the container, and the sums of its snapshot. */
export const snapshotDump = (container: string, database: string, file: string): Command => psqlScript(container, database, snapshotDumpScript(database, file));

export function readSnapshotDump(stdout: string): { dumpExit?: number; sums: TableSums } {
  const status = new RegExp(`^${DUMP_STATUS}(\\d+)$`, "m").exec(stdout)?.[1];
  return { ...(status !== undefined ? { dumpExit: Number(status) } : {}), sums: parseTableSums(stdout) };
}

/** The dump into an empty database, all or nothing (--single-transaction). */
export const pgRestore = (container: string, database: string, file: string): Command =>
  execInContainer(container, ["pg_restore", "--single-transaction", "--dbname", database, file], { user: superuser });

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

/** Tables a custom-format dump carries data for, from `pg_restore --list` (`TABLE DATA schema name owner`). */
export function tablesInDump(list: string): string[] {
  const tables: string[] = [];
  for (const line of list.split("\n")) {
    const m = /^\d+; \d+ \d+ TABLE DATA (\S+) (\S+) /.exec(line);
    if (m) tables.push(`${m[1]}.${m[2]}`);
  }
  return tables.sort();
}

/** What a database is created with, so its replacement is created alike. */
export interface DatabaseFacts {
  readonly owner: string;
  readonly encoding: string;
  readonly collate: string;
  readonly ctype: string;
}

export const databaseFactsSql = (database: string) =>
  `SELECT pg_get_userbyid(datdba) || '|' || pg_encoding_to_char(encoding) || '|' || datcollate || '|' || datctype FROM pg_database WHERE datname = ${quoteLiteral(database)}`;

export function parseDatabaseFacts(stdout: string): DatabaseFacts | undefined {
  const [owner, encoding, collate, ctype] = stdout.trim().split("|");
  return owner && encoding && collate !== undefined && ctype !== undefined ? { owner, encoding, collate, ctype } : undefined;
}

/**
 * An empty database from template0 (the pristine template: nothing an administrator added to
 * template1), with the owner, encoding and locale of the database it will replace. template0 is
 * the one template whose encoding and locale may differ from the new database's (CREATE DATABASE).
 */
export const createDatabaseSql = (database: string, like: DatabaseFacts) =>
  `CREATE DATABASE ${quoteIdent(database)} WITH TEMPLATE template0 OWNER ${quoteIdent(like.owner)} ENCODING ${quoteLiteral(like.encoding)} LC_COLLATE ${quoteLiteral(like.collate)} LC_CTYPE ${quoteLiteral(like.ctype)}`;

export const dropDatabaseSql = (database: string) => `DROP DATABASE IF EXISTS ${quoteIdent(database)}`;

export const allowConnectionsSql = (database: string, allow: boolean) => `ALTER DATABASE ${quoteIdent(database)} WITH ALLOW_CONNECTIONS ${allow}`;

/**
 * Put `restored` in the place of `live`: no new session may connect to `live` (ALLOW_CONNECTIONS
 * false applies to everyone), the sessions still on it are ended, then both renames commit in one
 * transaction, so `live` names either the old database or the restored one, never neither.
 * RENAME refuses while another session is connected (it waits a few seconds for terminated ones
 * to exit) and may run inside a transaction block; it cannot rename the database it runs in,
 * hence the maintenance database.
 */
export function swapDatabasesScript(live: string, restored: string, replaced: string): string {
  return [
    `${allowConnectionsSql(live, false)};`,
    `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = ${quoteLiteral(live)} AND pid <> pg_backend_pid();`,
    "BEGIN;",
    `ALTER DATABASE ${quoteIdent(live)} RENAME TO ${quoteIdent(replaced)};`,
    `ALTER DATABASE ${quoteIdent(restored)} RENAME TO ${quoteIdent(live)};`,
    "COMMIT;",
    "",
  ].join("\n");
}
