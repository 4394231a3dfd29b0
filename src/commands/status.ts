import type { Command as Program } from "commander";
import { renderStatus, suiteStatus } from "../engine/status.js";
import type { Context } from "../core/context.js";
import type { SuiteOptions } from "../config/locations.js";
import { loadConfigAndSuite, withSuiteOptions } from "./suite-loading.js";

/** `micropod status`: each service's state, health as last checked, uptime, image, restarts. */
export async function status(ctx: Context, opts: SuiteOptions & { json?: boolean }): Promise<void> {
  const { config, suite } = await loadConfigAndSuite(ctx, opts);
  const rows = await suiteStatus(suite, ctx.runner, ctx.clock, config.paths.state);
  ctx.out(opts.json ? JSON.stringify(rows, null, 2) : renderStatus(rows));
}

export function registerStatus(program: Program, context: () => Context): void {
  withSuiteOptions(program.command("status").description("show each service: state, health as last checked, uptime, image, restarts"))
    .option("--json", "print the status as JSON")
    .action(async (opts: SuiteOptions & { json?: boolean }) => status(context(), opts));
}
