import type { Command as Program } from "commander";
import { defaultJobs, startSuite } from "../engine/start.js";
import type { Context } from "../core/context.js";
import { parseJobs, type StartVerbOptions } from "./start.js";
import { withProgressView } from "./progress-view.js";
import { loadConfigAndSuite, withSuiteOptions } from "./suite-loading.js";

/** `micropod build [services...]`: only the image builds of start; unchanged inputs are not rebuilt. */
export async function build(ctx: Context, services: readonly string[], opts: StartVerbOptions): Promise<void> {
  const { config, suite } = await loadConfigAndSuite(ctx, opts);
  const run = { services, jobs: opts.jobs ?? defaultJobs(), buildOnly: true };
  const { report } = await withProgressView(ctx, opts, (live) => startSuite(suite, config, config.paths, live, run));
  ctx.out(`${report.built.length} image(s) built${report.built.length ? ` (${report.built.join(", ")})` : ""}, ${report.upToDate.length} up to date`);
}

export function registerBuild(program: Program, context: () => Context): void {
  withSuiteOptions(
    program
      .command("build")
      .description("build the suite's images whose inputs changed (Containerfile, context, build args, base image), in parallel")
      .argument("[services...]", "build only the images these services need"),
  )
    .option("-j, --jobs <n>", `parallel builds (default ${defaultJobs()})`, parseJobs)
    .action(async (services: string[], _opts: StartVerbOptions, cmd: Program) => build(context(), services, cmd.optsWithGlobals<StartVerbOptions>()));
}
