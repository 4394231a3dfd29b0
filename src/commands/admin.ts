import { adminCreate } from "../ops/admin.js";
import { opsContext } from "./ops-context.js";
import { withSuiteOptions } from "./suite-loading.js";
import type { SuiteOptions } from "../config/locations.js";
import type { Register } from "./index.js";

export const registerAdmin: Register = (program, context) => {
  const admin = program.command("admin").description("Mastodon accounts");
  withSuiteOptions(
    admin
      .command("create")
      .description("create the owner account (confirmed, role Owner); the password goes to <DATA_DIR>/mastodon/private/mastodon.owner.credentials")
      .requiredOption("--username <name>", "account name")
      .requiredOption("--email <address>", "e-mail address")
      .option("--show-password", "also print the generated password"),
  ).action(async (opts: SuiteOptions & { username: string; email: string; showPassword?: boolean }) => {
    const ctx = await opsContext(context(), opts);
    await adminCreate(ctx, { username: opts.username, email: opts.email, showPassword: opts.showPassword === true });
  });
};
