/**
 * The loaded configuration: a `.env` after parsing, schema validation, defaults and cross-field
 * rules, with secrets from the persisted secrets file (or generated for this run).
 * Contract between config/ (which produces it) and everything that reads it.
 */
import type { Problem } from "../core/errors.js";

export interface ConfigPaths {
  /** DATA_DIR: the suite's persistent data (the data ZFS dataset). Default /var/db/micropod. */
  readonly data: string;
  /** Persisted secrets, mode 0600: <data>/private/secrets.env. */
  readonly secretsFile: string;
  /** micropod's own state (image hashes, health history): <data>/state. */
  readonly state: string;
  /** The lock shared by start, stop, upgrade, restore and health restarts: <state>/micropod.lock. */
  readonly lock: string;
  /** LOG_DIR: container and build logs. Default /var/log/containers. */
  readonly logs: string;
}

export interface MicropodConfig {
  /** Absolute path of the .env file read. */
  readonly envFile: string;
  /** Every variable: .env values, defaults, derived values and secrets. What `${VAR}` interpolation sees. */
  readonly vars: Readonly<Record<string, string>>;
  /** Names of the variables in `vars` whose values are secret. */
  readonly secretNames: ReadonlySet<string>;
  /** Secrets that were blank and had no persisted value: generated for this run (and persisted by start). */
  readonly generatedSecrets: readonly string[];
  readonly paths: ConfigPaths;
  /**
   * Things worth saying that do not stop loading: unknown variables passed through, a secret in
   * .env that differs from the persisted one, a secrets file readable by others. Optional so
   * hand-made configs in tests need not set it.
   */
  readonly warnings?: readonly Problem[];
}
