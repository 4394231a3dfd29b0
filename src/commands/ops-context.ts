import type { Context } from "../core/context.js";
import type { SuiteOptions } from "../config/locations.js";
import { loadConfigAndSuite } from "./suite-loading.js";
import type { OpsContext } from "../ops/context.js";

/** What a day-two verb works with: configuration (secrets registered with the redactor first) and suite. */
export async function opsContext(ctx: Context, opts: SuiteOptions): Promise<OpsContext> {
  const { config, suite } = await loadConfigAndSuite(ctx, opts);
  return {
    ...ctx,
    config: { envFile: config.envFile, vars: config.vars, secretNames: config.secretNames, paths: config.paths },
    suite,
  };
}
