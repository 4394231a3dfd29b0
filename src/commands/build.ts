import type { Command as Program } from "commander";
import { defaultJobs, startSuite } from "../engine/start.js";
import type { Context } from "../core/context.js";
import { parseJobs, type StartVerbOptions } from "./start.js";
import { loadConfigAndSuite, withSuiteOptions } from "./suite-loading.js";

/** `micropod build [services...]`: only the image builds of start; unchanged inputs are not rebuilt. */
export async function build(ctx: Context, services: readonly string[], opts: StartVerbOptions): Promise<void> {
  const { config, suite } = await loadConfigAndSuite(ctx, opts);
  const { report } = await startSuite(suite, config, config.paths, ctx, { services, jobs: opts.jobs ?? defaultJobs(), buildOnly: true });
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
    .action(async (services: string[], opts: StartVerbOptions) => build(context(), services, opts));
}
