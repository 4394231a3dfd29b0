import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { systemClock } from "../../../src/core/clock.js";
import { renderCommand } from "../../../src/core/command.js";
import { ExitCode, type MicropodError } from "../../../src/core/errors.js";
import { createLogger } from "../../../src/core/logger.js";
import { Redactor } from "../../../src/core/redact.js";
import type { Runner } from "../../../src/core/runner.js";
import type { OpsContext } from "../../../src/ops/context.js";
import { loadSuite } from "../../../src/suite/load.js";
import { sampleVars } from "../suite/vars.js";
import { createOwnerArgv, credentialsPath, parsePassword, takenReason } from "../../../src/ops/admin.js";
import { backupStamp, isBackupStamp, toRotate } from "../../../src/ops/backup-layout.js";
import {
  createDatabaseSql,
  databaseFactsSql,
  giveToSuperuser,
  parseDatabaseFacts,
  parseTableSums,
  pgRestore,
  psql,
  readSnapshotDump,
  snapshotDump,
  swapDatabasesScript,
  tablesInDump,
} from "../../../src/ops/postgres.js";
import { alterSystemSql, parseLibraries } from "../../../src/ops/query-stats.js";
import { restoreNames, verifyAgainst } from "../../../src/ops/restore.js";
import { atVersion, databaseState, previousRef, upgrade, upgradePlan, upgradeProcesses, withVersion } from "../../../src/ops/upgrade.js";
import { buildImage } from "../../../src/podman/image.js";
import { dep, service, suite } from "../../support/make-suite.js";
import { zfsDatasetOf, zfsDestroySnapshot, zfsListSnapshots, zfsSnapshot } from "../../../src/host/tools/zfs.js";

describe("admin create parsing", () => {
  it("builds tootctl's argv and reads its output", () => {
    expect(createOwnerArgv({ username: "admin", email: "a@social.example" }).join(" ")).toBe(
      "bin/tootctl accounts create admin --email a@social.example --confirmed --role Owner",
    );
    expect(parsePassword("OK\nNew password: 3f2a9c0d1e\n")).toBe("3f2a9c0d1e");
    expect(parsePassword("OK\n")).toBeUndefined();
    expect(takenReason("Failure/Error: email\n    taken\n")).toBe("email is already taken");
    expect(takenReason("Failure/Error: account.username\n    invalid\n")).toBeUndefined();
    expect(credentialsPath("/var/db/micropod")).toBe("/var/db/micropod/mastodon/private/mastodon.owner.credentials");
  });
});

describe("postgres commands", () => {
  it("run as the superuser inside the container", () => {
    expect(renderCommand(psql("mastodon-postgresql", "mastodon", "SHOW shared_preload_libraries"))).toBe(
      "podman exec --user postgres mastodon-postgresql psql -X -v ON_ERROR_STOP=1 -q -t -A -d mastodon -c 'SHOW shared_preload_libraries'",
    );
    expect(renderCommand(pgRestore("mastodon-postgresql", "mastodon_micropod_restore", "/tmp/x.dump"))).toBe(
      "podman exec --user postgres mastodon-postgresql pg_restore --single-transaction --dbname mastodon_micropod_restore /tmp/x.dump",
    );
    expect(renderCommand(giveToSuperuser("mastodon-postgresql", "/tmp/x.dump"))).toBe("podman exec --user root mastodon-postgresql chown postgres /tmp/x.dump");
  });

  it("dumps and sums the tables in one snapshot, in one psql session", () => {
    const c = snapshotDump("mastodon-postgresql", "mastodon", "/tmp/it's.dump");
    expect(renderCommand(c)).toBe("podman exec --interactive --user postgres mastodon-postgresql psql -X -v ON_ERROR_STOP=1 -q -t -A -d mastodon <<< (stdin)");
    expect(c.input!.split("\n").slice(0, 5)).toEqual([
      "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY;",
      "SELECT pg_export_snapshot() AS micropod_snapshot \\gset",
      "\\setenv MICROPOD_SNAPSHOT :micropod_snapshot",
      `\\! pg_dump --format=custom --snapshot="$MICROPOD_SNAPSHOT" --file '/tmp/it'\\''s.dump' 'mastodon'; echo "micropod-pg_dump-exit=$?"`,
      "SET TimeZone = 'UTC';",
    ]);
    expect(c.input!.trimEnd().split("\n").at(-1)).toBe("COMMIT;");
    expect(readSnapshotDump("micropod-pg_dump-exit=0\npublic.accounts|300|-4411\npublic.statuses|2000|918273\n")).toEqual({
      dumpExit: 0,
      sums: { "public.accounts": { rows: 300, checksum: "-4411" }, "public.statuses": { rows: 2000, checksum: "918273" } },
    });
    expect(readSnapshotDump("micropod-pg_dump-exit=1\n").dumpExit).toBe(1);
    expect(readSnapshotDump("").dumpExit).toBeUndefined();
    expect(parseTableSums("public.a|0|0\n")).toEqual({ "public.a": { rows: 0, checksum: "0" } });
  });

  it("creates the new database like the live one and swaps it in with two renames in one transaction", () => {
    expect(databaseFactsSql("mastodon")).toBe(
      "SELECT pg_get_userbyid(datdba) || '|' || pg_encoding_to_char(encoding) || '|' || datcollate || '|' || datctype FROM pg_database WHERE datname = 'mastodon'",
    );
    const facts = parseDatabaseFacts("mastodon|UTF8|C.UTF-8|C.UTF-8\n")!;
    expect(facts).toEqual({ owner: "mastodon", encoding: "UTF8", collate: "C.UTF-8", ctype: "C.UTF-8" });
    expect(parseDatabaseFacts("\n")).toBeUndefined();
    expect(createDatabaseSql("mastodon_micropod_restore", { ...facts, owner: 'odd"role' })).toBe(
      `CREATE DATABASE "mastodon_micropod_restore" WITH TEMPLATE template0 OWNER "odd""role" ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'`,
    );
    expect(swapDatabasesScript("mastodon", "mastodon_micropod_restore", "mastodon_micropod_replaced").split("\n")).toEqual([
      `ALTER DATABASE "mastodon" WITH ALLOW_CONNECTIONS false;`,
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = 'mastodon' AND pid <> pg_backend_pid();",
      "BEGIN;",
      `ALTER DATABASE "mastodon" RENAME TO "mastodon_micropod_replaced";`,
      `ALTER DATABASE "mastodon_micropod_restore" RENAME TO "mastodon";`,
      "COMMIT;",
      "",
    ]);
    expect(restoreNames("mastodon")).toEqual({ restoring: "mastodon_micropod_restore", replaced: "mastodon_micropod_replaced" });
    expect(() => restoreNames("m".repeat(50))).toThrow(/exceeds PostgreSQL's 63 bytes/);
  });

  it("verifies a restore: exactly the backup's tables, rows and checksums", () => {
    const manifest = {
      createdAt: "2026-01-01T00:00:00.000Z",
      database: "mastodon",
      writersRunning: ["web"],
      rowCounts: { "public.a": 1, "public.b": 2, "public.c": 3 },
      checksums: { "public.a": "11", "public.b": "22", "public.c": "33" },
      files: [],
    };
    const same = { "public.a": { rows: 1, checksum: "11" }, "public.b": { rows: 2, checksum: "22" }, "public.c": { rows: 3, checksum: "33" } };
    expect(verifyAgainst({ manifest, dumpTables: [] }, same)).toEqual([]);
    expect(verifyAgainst({ manifest, dumpTables: [] }, { "public.a": { rows: 1, checksum: "12" }, "public.b": { rows: 5, checksum: "22" }, "public.new": { rows: 0, checksum: "0" } })).toEqual([
      "public.a: same row count, different rows (checksum 11 in the backup, 12 restored)",
      "public.b: 2 rows in the backup, 5 restored",
      "public.c: in the backup, missing after the restore",
      "public.new: not in the backup, present after the restore",
    ]);
    // Without a manifest: the dump's own table list.
    expect(verifyAgainst({ dumpTables: ["public.a"] }, { "public.a": { rows: 9, checksum: "1" }, "public.x": { rows: 0, checksum: "0" } })).toEqual([
      "public.x: not in the backup, present after the restore",
    ]);
  });

  it("reads a dump's table of contents", () => {
    const toc = [
      ";",
      "216; 1259 16390 TABLE public accounts mastodon",
      "3329; 0 16390 TABLE DATA public accounts mastodon",
      "3331; 0 16399 TABLE DATA public statuses mastodon",
      "3338; 0 0 SEQUENCE SET public accounts_id_seq mastodon",
    ].join("\n");
    expect(tablesInDump(toc)).toEqual(["public.accounts", "public.statuses"]);
  });

  it("keeps existing preload libraries when adding pg_stat_statements", () => {
    expect(parseLibraries("\n")).toEqual([]);
    expect(parseLibraries("auto_explain, pg_prewarm\n")).toEqual(["auto_explain", "pg_prewarm"]);
    expect(alterSystemSql(["auto_explain", "pg_stat_statements"])).toBe("ALTER SYSTEM SET shared_preload_libraries = 'auto_explain', 'pg_stat_statements'");
  });
});

describe("backup layout and ZFS", () => {
  it("stamps, recognises and rotates", () => {
    expect(backupStamp(Date.UTC(2026, 10, 21, 20, 12, 8, 357))).toBe("20261121T201208Z");
    expect(isBackupStamp("20261121T201208Z")).toBe(true);
    expect(isBackupStamp(".20261121T201208Z.partial")).toBe(false);
    expect(toRotate(["20260103T000000Z", "20260101T000000Z", "20260102T000000Z"], 2)).toEqual(["20260101T000000Z"]);
    expect(toRotate(["20260101T000000Z"], 7)).toEqual([]);
  });

  it("builds zfs commands and never destroys a file system", () => {
    expect(renderCommand(zfsDatasetOf("/var/db/micropod"))).toBe("zfs list -H -o name /var/db/micropod");
    expect(renderCommand(zfsSnapshot("zroot/micropod@micropod-20261121T201208Z"))).toBe("zfs snapshot zroot/micropod@micropod-20261121T201208Z");
    expect(renderCommand(zfsListSnapshots("zroot/micropod"))).toBe("zfs list -H -t snapshot -o name -s creation -d 1 zroot/micropod");
    expect(renderCommand(zfsDestroySnapshot("zroot/micropod@micropod-20261121T201208Z"))).toBe("zfs destroy zroot/micropod@micropod-20261121T201208Z");
    expect(() => zfsDestroySnapshot("zroot/micropod")).toThrow('refusing to destroy "zroot/micropod": not a snapshot name');
  });
});

describe("upgrade helpers", () => {
  it("names the previous image, edits the .env", () => {
    expect(previousRef("localhost/micropod/mastodon")).toBe("localhost/micropod/mastodon:micropod-previous");
    expect(previousRef("localhost:5000/mastodon:v4")).toBe("localhost:5000/mastodon:micropod-previous");
    expect(withVersion("DOMAIN=a\nMASTODON_VERSION=v4.3.0\nX=1\n", "v4.4.0")).toBe("DOMAIN=a\nMASTODON_VERSION=v4.4.0\nX=1\n");
    expect(withVersion("DOMAIN=a", "v4.4.0")).toBe("DOMAIN=a\nMASTODON_VERSION=v4.4.0\n");
    expect(databaseState("build", "/b")).toBe("The database is unchanged: no migration ran.");
  });
});

describe("upgrade plan", () => {
  const template = service("mastodon", { project: "mastodon", buildOnly: true, build: { context: "/c", dockerfile: "/c/Containerfile", args: { FREEBSD_RELEASE: "15.0", MASTODON_VERSION: "v4.3.0" } } });
  const user = (name: string, deps: string[] = []) => service(name, { project: "mastodon", image: "localhost/mastodon/mastodon", dependsOn: deps.map((d) => dep(d)) });
  const s = suite([template, user("streaming", ["web"]), user("web", ["sidekiq-default"]), user("sidekiq-default")], { project: "mastodon" });

  it("sets only the template's MASTODON_VERSION build argument", () => {
    const next = atVersion(s, "v4.4.0");
    expect(next.services.get("mastodon")!.build!.args).toEqual({ FREEBSD_RELEASE: "15.0", MASTODON_VERSION: "v4.4.0" });
    expect(s.services.get("mastodon")!.build!.args.MASTODON_VERSION).toBe("v4.3.0");
    expect([...next.services.values()].filter((x) => x.name !== "mastodon")).toEqual([...s.services.values()].filter((x) => x.name !== "mastodon"));
  });

  it("recreates the template's users in dependency order", () => {
    const build = buildImage({ context: "/c", file: "/c/Containerfile", tags: ["localhost/mastodon/mastodon:latest"] });
    const lines = upgradePlan(atVersion(s, "v4.4.0"), "v4.3.0", "v4.4.0", "/etc/micropod.env", build, upgradeProcesses(s, {}));
    expect(lines[3]).toBe("3. build: podman build --file /c/Containerfile --tag localhost/mastodon/mastodon:latest /c");
    expect(lines[5]).toBe("5. recreate from the new image, each gated on readiness, leaving what they depend on as it runs: sidekiq-default, web, streaming");
    expect(lines.length).toBe(9);
  });
});

describe("upgrade --check on the bundled suite", () => {
  const root = resolve(import.meta.dirname, "../../..");
  const compose = resolve(root, "containerfiles/compose.yaml");

  it("builds the mastodon template (not base), recreates every process running it, reruns maintaindb, and runs nothing", async () => {
    const loaded = await loadSuite(compose, sampleVars);
    const printed: string[] = [];
    const runner: Runner = { run: (c) => Promise.reject(new Error(`--check ran ${renderCommand(c)}`)) };
    const ctx: OpsContext = {
      runner,
      logger: createLogger({ level: "silent" }),
      redactor: new Redactor(),
      clock: systemClock,
      out: (t) => printed.push(t),
      signal: new AbortController().signal,
      config: { envFile: "/usr/local/etc/micropod/micropod.env", vars: sampleVars, paths: { data: "/nonexistent", secretsFile: "/nonexistent/s", state: "/nonexistent/st", lock: "/nonexistent/l", logs: "/nonexistent/logs" } },
      suite: loaded,
    };
    const err = (await upgrade(ctx, { version: "v4.5.13", check: true }).catch((e: unknown) => e)) as MicropodError;
    expect(err.exitCode).toBe(ExitCode.changesPending);
    const lines = printed[0]!.split("\n");
    const dir = resolve(root, "containerfiles/mastodon");
    expect(lines[3]).toMatch(new RegExp(`^3\\. build: podman build --file ${dir}/Containerfile --build-arg FREEBSD_RELEASE=15\\.0 --build-arg MASTODON_VERSION=v4\\.5\\.13 .*--tag localhost/micropod/mastodon:latest ${dir}$`));
    const sidekiqs = ["sidekiq-ingress-1", "sidekiq-ingress-2", "sidekiq-pull", "sidekiq-push", "sidekiq-default", "sidekiq-scheduler"];
    expect(lines[5]).toBe(`5. recreate from the new image, each gated on readiness, leaving what they depend on as it runs: ${[...sidekiqs, "web", "streaming"].join(", ")}`);
    expect(lines[8]).toBe("8. rebuild and run again on the new image (no migration is left for them): maintaindb");
    expect(lines[4]).toContain("--env SKIP_POST_DEPLOYMENT_MIGRATIONS=true");
    expect(lines[4]).toContain(" localhost/micropod/mastodon bundle exec rails db:migrate");
  });
});
