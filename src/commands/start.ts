import type { Command as Program } from "commander";
import { persistGeneratedSecrets } from "../config/load.js";
import { UsageError } from "../core/errors.js";
import { defaultJobs, startSuite } from "../engine/start.js";
import type { Context } from "../core/context.js";
import type { SuiteOptions } from "../config/locations.js";
import { type OutputFlags, withProgressView } from "./progress-view.js";
import { loadConfigAndSuite, withSuiteOptions } from "./suite-loading.js";

export const parseJobs = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--jobs must be a positive whole number, got ${JSON.stringify(v)}`);
  return n;
};

export interface StartVerbOptions extends SuiteOptions, OutputFlags {
  readonly jobs?: number;
  /** Return only when every started service with a healthcheck is healthy (Compose's `up --wait`). */
  readonly wait?: boolean;
}

/** `micropod start [services...]`: persist generated secrets, then build, create and start in dependency order. */
export async function start(ctx: Context, services: readonly string[], opts: StartVerbOptions): Promise<void> {
  const { config, suite } = await loadConfigAndSuite(ctx, opts);
  await persistGeneratedSecrets(config);
  const run = { services, jobs: opts.jobs ?? defaultJobs(), ...(opts.wait ? { wait: true } : {}) };
  const { report } = await withProgressView(ctx, opts, (live) => startSuite(suite, config, config.paths, live, run));
  const touched = report.launched.length;
  ctx.out(
    `${suite.project}: ${touched ? `${touched} container(s) created or started` : "nothing to do, every container is up to date"}; ` +
      `${report.built.length} image(s) built, ${report.upToDate.length} up to date (${(report.elapsedMs / 1000).toFixed(1)}s)`,
  );
}

export function registerStart(program: Program, context: () => Context): void {
  withSuiteOptions(
    program
      .command("start")
      .description("build what changed, then start the suite in dependency order, each service gated on its dependencies' readiness")
      .argument("[services...]", "start only these services (and what they depend on)"),
  )
    .option("-j, --jobs <n>", `parallel builds (default ${defaultJobs()})`, parseJobs)
    .option("--wait", "return only when every service with a healthcheck is healthy, not just those others wait for")
    .action(async (services: string[], _opts: StartVerbOptions, cmd: Program) => start(context(), services, cmd.optsWithGlobals<StartVerbOptions>()));
}
