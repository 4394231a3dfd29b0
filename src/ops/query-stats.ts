import { withLock } from "../core/lock.js";
import type { OpsContext } from "./context.js";
import { psql } from "./postgres.js";
import { requireRunning } from "./running.js";
import { roleServiceName } from "../suite/roles.js";
import { startAndWait, stopForOperation } from "./engine.js";

export const extension = "pg_stat_statements";

export interface QueryStatsResult {
  /** shared_preload_libraries was changed (and postgresql restarted to load it). */
  readonly restarted: boolean;
  readonly libraries: readonly string[];
}

/** `SHOW shared_preload_libraries` prints `a, b` or an empty line. */
export function parseLibraries(stdout: string): string[] {
  return stdout
    .trim()
    .split(",")
    .map((s) => s.trim().replace(/^"(.*)"$/, "$1"))
    .filter(Boolean);
}

/** ALTER SYSTEM keeps the setting in postgresql.auto.conf: the image's own postgresql.conf stays untouched. */
export function alterSystemSql(libraries: readonly string[]): string {
  return `ALTER SYSTEM SET shared_preload_libraries = ${libraries.map((l) => `'${l.replace(/'/g, "''")}'`).join(", ")}`;
}

/**
 * `micropod db query-stats enable`: pg_stat_statements loaded at server start and created in the
 * Mastodon database. The live value of shared_preload_libraries decides: when it already lists
 * the library, nothing restarts; otherwise ALTER SYSTEM adds it and postgresql gets one clean restart.
 */
export async function enableQueryStats(ctx: Pick<OpsContext, "runner" | "logger" | "out" | "suite" | "config" | "clock" | "signal">): Promise<QueryStatsResult> {
  return withLock(ctx.config.paths.lock, { verb: "db query-stats enable", clock: ctx.clock, signal: ctx.signal }, async () => {
    const database = roleServiceName(ctx.suite, "database");
    const container = await requireRunning(ctx.runner, ctx.suite, database);
    const db = ctx.config.vars.DB_NAME ?? "mastodon";
    const live = parseLibraries((await ctx.runner.run(psql(container, db, "SHOW shared_preload_libraries"))).stdout);
    let restarted = false;
    let libraries = live;
    if (!live.includes(extension)) {
      libraries = [...live, extension];
      await ctx.runner.run(psql(container, db, alterSystemSql(libraries)));
      ctx.logger.info({ libraries, service: database }, `shared_preload_libraries changed; restarting ${database}`);
      // Its dependents stop first and start again after it: none sees the database vanish under it.
      await startAndWait(ctx, await stopForOperation(ctx, [database]));
      restarted = true;
    }
    await ctx.runner.run(psql(container, db, `CREATE EXTENSION IF NOT EXISTS ${extension}`));
    ctx.out(restarted ? `query stats enabled: ${extension} loaded (${database} restarted once) and created in ${db}` : `query stats already enabled in ${db}; ${database} not restarted`);
    return { restarted, libraries };
  });
}
