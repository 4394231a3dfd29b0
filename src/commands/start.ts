import type { Command as Program } from "commander";
import { loadConfig, persistGeneratedSecrets, registerSecrets } from "../config/load.js";
import type { MicropodConfig } from "../config/model.js";
import { UsageError } from "../core/errors.js";
import { defaultJobs, startSuite } from "../engine/start.js";
import { loadSuite } from "../suite/load.js";
import type { Suite } from "../suite/model.js";
import { type Context, resolveComposeFile, resolveEnvFile, type SuiteOptions } from "./context.js";

/** .env then compose file, secrets registered with the redactor before anything can print them. */
export async function loadForVerb(ctx: Pick<Context, "redactor">, opts: SuiteOptions): Promise<{ config: MicropodConfig; suite: Suite }> {
  const envFile = resolveEnvFile(opts, false);
  if (!envFile) throw new UsageError("no .env file: pass --env FILE, set MICROPOD_ENV, or create ./.env (see sample.env)");
  const config = await loadConfig(envFile);
  registerSecrets(config, ctx.redactor);
  const suite = await loadSuite(resolveComposeFile(opts), config.vars);
  return { config, suite };
}

export const parseJobs = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--jobs must be a positive whole number, got ${JSON.stringify(v)}`);
  return n;
};

export interface StartVerbOptions extends SuiteOptions {
  readonly jobs?: number;
}

/** `micropod start [services...]`: persist generated secrets, then build, create and start in dependency order. */
export async function start(ctx: Context, services: readonly string[], opts: StartVerbOptions): Promise<void> {
  const { config, suite } = await loadForVerb(ctx, opts);
  await persistGeneratedSecrets(config);
  const { report } = await startSuite(suite, config, config.paths, ctx, { services, jobs: opts.jobs ?? defaultJobs() });
  const touched = report.launched.length;
  ctx.out(
    `${suite.project}: ${touched ? `${touched} container(s) created or started` : "nothing to do, every container is up to date"}; ` +
      `${report.built.length} image(s) built, ${report.upToDate.length} up to date (${(report.elapsedMs / 1000).toFixed(1)}s)`,
  );
}

export const suiteOptions = (cmd: Program): Program =>
  cmd
    .option("--env <file>", ".env file (default ./.env, then /usr/local/etc/micropod/micropod.env)")
    .option("--compose <file>", "compose file (default: the bundled suite)");

export function registerStart(program: Program, context: () => Context): void {
  suiteOptions(
    program
      .command("start")
      .description("build what changed, then start the suite in dependency order, each service gated on its dependencies' readiness")
      .argument("[services...]", "start only these services (and what they depend on)"),
  )
    .option("-j, --jobs <n>", `parallel builds (default ${defaultJobs()})`, parseJobs)
    .action(async (services: string[], opts: StartVerbOptions) => start(context(), services, opts));
}
