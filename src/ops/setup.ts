import type { Context, SuiteOptions } from "../commands/context.js";
import { loadConfigAndSuite } from "../commands/suite-loading.js";
import type { OpsContext } from "./context.js";

/** Configuration (secrets registered with the redactor first) and suite. */
export async function opsContext(ctx: Context, opts: SuiteOptions): Promise<OpsContext> {
  const { config, suite } = await loadConfigAndSuite(ctx, opts);
  return {
    ...ctx,
    config: { envFile: config.envFile, vars: config.vars, secretNames: config.secretNames, paths: config.paths },
    suite,
  };
}
