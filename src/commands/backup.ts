import { UsageError } from "../core/errors.js";
import { backup, defaultKeep } from "../ops/backup.js";
import { opsContext } from "./ops-context.js";
import { withSuiteOptions } from "./suite-loading.js";
import type { SuiteOptions } from "../config/locations.js";
import type { Register } from "./index.js";

export function parseKeep(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1) throw new UsageError(`--keep ${text}: a whole number of backups, at least 1`);
  return Number(text);
}

export const registerBackup: Register = (program, context) => {
  withSuiteOptions(
    program
      .command("backup")
      .description("pg_dump + .env + secrets into <DATA_DIR>/backups/<timestamp>/, a ZFS snapshot when on ZFS, keep the newest N")
      .option("--keep <n>", `backups (and snapshots) to keep (default ${defaultKeep})`),
  ).action(async (opts: SuiteOptions & { keep?: string }) => {
    const keep = parseKeep(opts.keep);
    await backup(await opsContext(context(), opts), keep !== undefined ? { keep } : {});
  });
};
