import type { Context } from "../core/context.js";
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

/** What a day-two verb works with: the base context, plus the configuration and the suite it loaded. */
export interface OpsContext extends Context {
  readonly config: OpsConfig;
  readonly suite: Suite;
}
