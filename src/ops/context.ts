import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import type { Redactor } from "../core/redact.js";
import type { Runner } from "../core/runner.js";
import type { ConfigPaths } from "../config/model.js";
import type { Suite } from "../suite/model.js";

/** The configuration facts operations read. */
export interface OpsConfig {
  readonly envFile: string;
  readonly vars: Readonly<Record<string, string>>;
  /** Which of `vars` are secret: the planner refuses them in plain environment. */
  readonly secretNames?: ReadonlySet<string>;
  readonly paths: Pick<ConfigPaths, "data" | "secretsFile" | "lock" | "state" | "logs">;
}

export interface OpsContext {
  readonly runner: Runner;
  readonly logger: Logger;
  readonly redactor: Redactor;
  readonly clock: Clock;
  readonly out: (text: string) => void;
  readonly signal?: AbortSignal;
  readonly config: OpsConfig;
  readonly suite: Suite;
}
