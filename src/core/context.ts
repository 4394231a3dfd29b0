import type { Clock } from "./clock.js";
import type { Logger } from "./logger.js";
import type { Redactor } from "./redact.js";
import type { Runner } from "./runner.js";

/**
 * What every use case may ask for: the one context type the others extend. A verb's function
 * declares the subset it needs (`Pick<Context, "runner" | "logger">`), so tests pass only that.
 * The family: OpsContext (ops/context.ts: + configuration and suite), HostContext
 * (host/resource.ts: + a read-only inspecting runner and the host options), EngineContext and
 * ExecuteContext (engine/context.ts: + ocijail's state dir, + build jobs).
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
