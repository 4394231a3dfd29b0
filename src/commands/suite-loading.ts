import type { Command as Program } from "commander";
import { loadConfig, registerSecrets } from "../config/load.js";
import type { MicropodConfig } from "../config/model.js";
import { UsageError } from "../core/errors.js";
import { loadSuite } from "../suite/load.js";
import { type HostVariable, pinHostNames } from "../suite/host-pins.js";
import type { Suite } from "../suite/model.js";
import type { Context } from "../core/context.js";
import { defaultEnvFiles, resolveComposeFile, resolveEnvFile, type SuiteOptions } from "../config/locations.js";

/** The --env / --compose options of every verb that works on a suite. */
export function withSuiteOptions(cmd: Program): Program {
  return cmd
    .option("--env <file>", `.env file (default: MICROPOD_ENV, then ${defaultEnvFiles.join(", then ")})`)
    .option("--compose <file>", "compose file (default: MICROPOD_COMPOSE, then the bundled suite)");
}

/** The .env a changing verb reads; unlike `plan`, none of them falls back to the bundled sample. */
export function requireEnvFile(opts: SuiteOptions): string {
  const envFile = resolveEnvFile(opts, false);
  if (!envFile) throw new UsageError("no .env file found", [`pass --env FILE, set MICROPOD_ENV, or create one of ${defaultEnvFiles.join(", ")} (see sample.env)`]);
  return envFile;
}

/**
 * The configuration, then the suite interpolated with it. Every secret is registered with the
 * redactor before anything else runs, so no later log line or error can print one.
 */
export async function loadConfigAndSuite(
  ctx: Pick<Context, "redactor">,
  opts: SuiteOptions,
  { allowSample = false }: { allowSample?: boolean } = {},
): Promise<{ config: MicropodConfig; suite: Suite }> {
  const envFile = allowSample ? resolveEnvFile(opts, true)! : requireEnvFile(opts);
  const config = await loadConfig(envFile);
  registerSecrets(config, ctx.redactor);
  const suite = pinHostNames(await loadSuite(resolveComposeFile(opts), config.vars), config.vars, hostVariables, config.envFile);
  return { config, suite };
}

/** The configuration's host variables and the service each means by a bare name. */
export const hostVariables: readonly HostVariable[] = [
  { variable: "DB_HOST", role: "database" },
  { variable: "REDIS_HOST" },
  { variable: "ELASTIC_HOST", role: "search" },
];
