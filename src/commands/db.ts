import { enableQueryStats } from "../ops/query-stats.js";
import { opsContext } from "./ops-context.js";
import { withSuiteOptions } from "./suite-loading.js";
import type { SuiteOptions } from "../config/locations.js";
import type { Register } from "./index.js";

export const registerDb: Register = (program, context) => {
  const db = program.command("db").description("PostgreSQL maintenance");
  const stats = db.command("query-stats").description("pg_stat_statements");
  withSuiteOptions(
    stats.command("enable").description("load pg_stat_statements (one clean postgresql restart, only if needed) and create the extension"),
  ).action(async (opts: SuiteOptions) => {
    await enableQueryStats(await opsContext(context(), opts));
  });
};
