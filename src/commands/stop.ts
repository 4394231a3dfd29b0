import type { Command as Program } from "commander";
import { UsageError } from "../core/errors.js";
import { stopSuite } from "../engine/start.js";
import type { Context } from "../core/context.js";
import type { SuiteOptions } from "../config/locations.js";
import { type OutputFlags, withProgressView } from "./progress-view.js";
import { loadConfigAndSuite, withSuiteOptions } from "./suite-loading.js";

export interface StopVerbOptions extends SuiteOptions, OutputFlags {
  readonly timeout?: number;
}

/** `micropod stop [services...]`: dependents first, independent services concurrently, each with its grace period. */
export async function stop(ctx: Context, services: readonly string[], opts: StopVerbOptions): Promise<void> {
  const { config, suite } = await loadConfigAndSuite(ctx, opts);
  const run = { services, ...(opts.timeout !== undefined ? { timeoutSec: opts.timeout } : {}) };
  const report = await withProgressView(ctx, opts, (live) => stopSuite(suite, config.paths, live, run));
  ctx.out(report.stopped.length ? `stopped: ${report.stopped.map((s) => s.service).join(", ")}` : "nothing was running");
}

export function registerStop(program: Program, context: () => Context): void {
  withSuiteOptions(
    program
      .command("stop")
      .description("stop the suite in reverse dependency order, each service with its stop_grace_period")
      .argument("[services...]", "stop only these services (and those depending on them)"),
  )
    .option("-t, --timeout <seconds>", "seconds before SIGKILL, for every service (overrides stop_grace_period)", (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`--timeout must be a whole number of seconds, got ${JSON.stringify(v)}`);
      return n;
    })
    .action(async (services: string[], _opts: StopVerbOptions, cmd: Program) => stop(context(), services, cmd.optsWithGlobals<StopVerbOptions>()));
}
