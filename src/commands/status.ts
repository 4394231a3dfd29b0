import type { Command as Program } from "commander";
import { loadConfig } from "../config/load.js";
import { renderStatus, suiteStatus } from "../engine/status.js";
import { readStartRecord, recordedCriticalPath } from "../engine/start-record.js";
import type { Context } from "../core/context.js";
import type { SuiteOptions } from "../config/locations.js";
import { loadConfigAndSuite, requireEnvFile, withSuiteOptions } from "./suite-loading.js";
import { renderTimeline } from "./timeline-text.js";

export interface StatusOptions extends SuiteOptions {
  readonly json?: boolean;
  readonly timeline?: boolean;
}

/** The chart's width: the terminal's columns, 80 when standard output is not a terminal. */
const outputColumns = (): number => (process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : 80);

/** `micropod status`: each service's state, health as last checked, uptime, image, restarts; `--timeline`: the last start drawn. */
export async function status(ctx: Context, opts: StatusOptions, columns = outputColumns()): Promise<void> {
  if (opts.timeline) {
    // Only the state dir is needed: the record says all the chart shows, whatever the suite is now.
    const config = await loadConfig(requireEnvFile(opts));
    const record = await readStartRecord(config.paths.state);
    ctx.out(opts.json ? JSON.stringify({ ...record, criticalPath: recordedCriticalPath(record) }, null, 2) : renderTimeline(record, columns));
    return;
  }
  const { config, suite } = await loadConfigAndSuite(ctx, opts);
  const rows = await suiteStatus(suite, ctx.runner, ctx.clock, config.paths.state);
  ctx.out(opts.json ? JSON.stringify(rows, null, 2) : renderStatus(rows));
}

export function registerStatus(program: Program, context: () => Context): void {
  withSuiteOptions(program.command("status").description("show each service: state, health as last checked, uptime, image, restarts"))
    .option("--json", "print the status as JSON")
    .option("--timeline", "draw the last start: one bar per service on a shared time axis, the critical path marked")
    // --json is also the program's global flag, which takes it wherever it is written: read both.
    .action(async (_opts: StatusOptions, cmd: Program) => status(context(), cmd.optsWithGlobals<StatusOptions>()));
}
