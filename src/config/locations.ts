import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The package root: bundled suite, sample.env, hooks.d, pf/ and rc.d/ are found relative to it. */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const bundledCompose = resolve(packageRoot, "containerfiles", "compose.yaml");
export const bundledSampleEnv = resolve(packageRoot, "sample.env");

/** Where a verb finds its .env when --env is not given, first match wins. */
export const defaultEnvFiles = [".env", "/usr/local/etc/micropod/micropod.env"];

/**
 * The same, with the system-wide one's directory moved by MICROPOD_CONFIG_DIR when set: the test
 * suite points it at an empty directory, so a verb run without --env never reads the machine's
 * own configuration.
 */
function envFileSearch(): readonly string[] {
  const dir = process.env.MICROPOD_CONFIG_DIR;
  return dir ? defaultEnvFiles.map((f) => (f.startsWith("/") ? join(dir, basename(f)) : f)) : defaultEnvFiles;
}

/** Options shared by every verb that works on a suite. */
export interface SuiteOptions {
  readonly env?: string;
  readonly compose?: string;
}

/**
 * Resolve the .env file: --env, then MICROPOD_ENV, then the default locations. Only `plan`
 * (which changes nothing) may fall back to the bundled sample.env.
 */
export function resolveEnvFile(opts: SuiteOptions, allowSample: boolean): string | undefined {
  if (opts.env) return resolve(opts.env);
  if (process.env.MICROPOD_ENV) return resolve(process.env.MICROPOD_ENV);
  for (const f of envFileSearch()) if (existsSync(f)) return resolve(f);
  return allowSample ? bundledSampleEnv : undefined;
}

export function resolveComposeFile(opts: SuiteOptions): string {
  if (opts.compose) return resolve(opts.compose);
  if (process.env.MICROPOD_COMPOSE) return resolve(process.env.MICROPOD_COMPOSE);
  return bundledCompose;
}
