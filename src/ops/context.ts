import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import type { Redactor } from "../core/redact.js";
import type { Runner } from "../core/runner.js";
import type { ConfigPaths } from "../config/model.js";
import type { Suite } from "../suite/model.js";

/**
 * What day-two operations need from the engine: start, stop and recreate a selection of
 * services in dependency order, each gated on readiness. Written as a port so ops/ depends on
 * the engine's behaviour, not its module layout; `simple-control.ts` is the podman-only
 * implementation the tests and the CLI use until the engine's own is wired in.
 */
export interface SuiteControl {
  /** Start these services (already created) in dependency order; resolves when each is ready. */
  start(services: readonly string[]): Promise<void>;
  /** Stop these services in reverse dependency order, honouring each stop_grace_period. */
  stop(services: readonly string[]): Promise<void>;
  /** Remove and create again from their (new) image, in dependency order, gated on readiness. */
  recreate(services: readonly string[]): Promise<void>;
  /** Resolves when the service's healthcheck passes; NotReadyError when it never does. */
  waitHealthy(service: string): Promise<void>;
}

/** The configuration facts operations read. */
export interface OpsConfig {
  readonly envFile: string;
  readonly vars: Readonly<Record<string, string>>;
  readonly paths: Pick<ConfigPaths, "data" | "secretsFile" | "lock">;
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
  readonly control: SuiteControl;
}
