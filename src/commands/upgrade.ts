import { ExitCode } from "../core/errors.js";
import { upgrade } from "../ops/upgrade.js";
import { opsContext } from "./ops-context.js";
import { withSuiteOptions } from "./suite-loading.js";
import { parseKeep } from "./backup.js";
import type { SuiteOptions } from "../config/locations.js";
import type { Register } from "./index.js";

export const registerUpgrade: Register = (program, context) => {
  withSuiteOptions(
    program
      .command("upgrade")
      .description("upgrade Mastodon: backup, build, pre-deployment migrations, recreate, post-deployment migrations; rolls the image back on failure")
      .requiredOption("--mastodon <version>", "the Mastodon release tag, e.g. v4.3.2")
      .option("--check", `print the plan and change nothing; exit ${ExitCode.changesPending} when an upgrade is pending`)
      .option("--keep <n>", "backups to keep"),
  ).action(async (opts: SuiteOptions & { mastodon: string; check?: boolean; keep?: string }) => {
    const keep = parseKeep(opts.keep);
    await upgrade(await opsContext(context(), opts), { version: opts.mastodon, check: opts.check === true, ...(keep !== undefined ? { keep } : {}) });
  });
};
