import { restore } from "../ops/restore.js";
import { opsContext } from "./ops-context.js";
import { withSuiteOptions } from "./suite-loading.js";
import type { SuiteOptions } from "../config/locations.js";
import type { Register } from "./index.js";

export const registerRestore: Register = (program, context) => {
  withSuiteOptions(
    program
      .command("restore")
      .description("restore a backup (its directory or its mastodon.dump) into postgresql and verify it")
      .argument("<file>", "backup directory or dump file")
      .option("--stop-writers", "stop web and sidekiq first, start them again afterwards"),
  ).action(async (file: string, opts: SuiteOptions & { stopWriters?: boolean }) => {
    await restore(await opsContext(context(), opts), file, { stopWriters: opts.stopWriters === true });
  });
};
