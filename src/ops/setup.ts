import type { Command as Program } from "commander";
import { loadConfig, registerSecrets } from "../config/load.js";
import { UsageError } from "../core/errors.js";
import { loadSuite } from "../suite/load.js";
import { type Context, resolveComposeFile, resolveEnvFile, type SuiteOptions } from "../commands/context.js";
import type { OpsContext } from "./context.js";

/** The --env / --compose options every day-two verb takes. */
export function withSuiteOptions(cmd: Program): Program {
  return cmd
    .option("--env <file>", ".env file (default ./.env, then /usr/local/etc/micropod/micropod.env)")
    .option("--compose <file>", "compose file (default: the bundled suite)");
}

/** Configuration (secrets registered with the redactor first) and suite. */
export async function opsContext(ctx: Context, opts: SuiteOptions): Promise<OpsContext> {
  const envFile = resolveEnvFile(opts, false);
  if (!envFile) throw new UsageError("no .env file found: pass --env FILE or set MICROPOD_ENV");
  const config = await loadConfig(envFile);
  registerSecrets(config, ctx.redactor);
  const suite = await loadSuite(resolveComposeFile(opts), config.vars);
  return {
    ...ctx,
    config: { envFile: config.envFile, vars: config.vars, secretNames: config.secretNames, paths: config.paths },
    suite,
  };
}
