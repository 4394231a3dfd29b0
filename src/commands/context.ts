import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "../core/logger.js";
import type { Redactor } from "../core/redact.js";
import type { Runner } from "../core/runner.js";
import type { Clock } from "../core/clock.js";

/** The package root: bundled suite, sample.env, hooks.d and pf/ are found relative to it. */
export const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const bundledCompose = resolve(packageRoot, "containerfiles", "compose.yaml");
export const bundledSampleEnv = resolve(packageRoot, "sample.env");

/** Where a verb finds its .env when --env is not given, first match wins. */
export const defaultEnvFiles = [".env", "/usr/local/etc/micropod/micropod.env"];

/**
 * What every use case may ask for. A verb's function declares the subset it needs
 * (`Pick<Context, "runner" | "logger">`), so tests pass only that.
 */
export interface Context {
  readonly runner: Runner;
  readonly logger: Logger;
  readonly redactor: Redactor;
  readonly clock: Clock;
  /** Standard output for the verb's result (plan text, status table, JSON). */
  readonly out: (text: string) => void;
  /** Aborted on Ctrl-C / SIGTERM: long work stops launching new steps. */
  readonly signal: AbortSignal;
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
  for (const f of defaultEnvFiles) if (existsSync(f)) return resolve(f);
  return allowSample ? bundledSampleEnv : undefined;
}

export function resolveComposeFile(opts: SuiteOptions): string {
  if (opts.compose) return resolve(opts.compose);
  if (process.env.MICROPOD_COMPOSE) return resolve(process.env.MICROPOD_COMPOSE);
  return bundledCompose;
}
