import { basename } from "node:path";
import type { Service, Suite } from "./model.js";

/**
 * The Sidekiq process a container runs, read from its command line (`bundle exec sidekiq -q
 * ingress -c 25 -t 25 -g mastodon-sidekiq-ingress-1`). `micropod health` ties the process it
 * finds in Redis (by tag) to the container to restart; the loader refuses a second scheduler.
 */
export interface SidekiqContainer {
  readonly service: string;
  readonly containerName: string;
  /** Queue names in command-line order, weights (`default,8`) stripped. */
  readonly queues: readonly string[];
  /** The `-g`/`--tag` value, undefined when the command sets none. */
  readonly tag?: string;
  /** `-c`/`--concurrency`: threads (Sidekiq's default 5). */
  readonly concurrency: number;
  /** `-t`/`--timeout`: seconds Sidekiq waits for jobs on shutdown (Sidekiq's default 25). */
  readonly shutdownTimeout: number;
}

export const SIDEKIQ_DEFAULT_CONCURRENCY = 5;
/** Sidekiq's own default `-t`; the health check assumes it for a QUEUES-named container too. */
export const SIDEKIQ_DEFAULT_SHUTDOWN_TIMEOUT = 25;

/** The argv of the Sidekiq program in a service's entrypoint + command, or undefined. */
function sidekiqArgs(argv: readonly string[]): readonly string[] | undefined {
  const at = argv.findIndex((a) => basename(a) === "sidekiq");
  return at < 0 ? undefined : argv.slice(at + 1);
}

export interface ParsedSidekiqArgs {
  readonly queues: string[];
  readonly tag?: string;
  readonly concurrency: number;
  readonly shutdownTimeout: number;
}

/** Parse Sidekiq's CLI options; throws on a malformed number or a missing option value. */
export function parseSidekiqArgs(args: readonly string[]): ParsedSidekiqArgs {
  const queues: string[] = [];
  let tag: string | undefined;
  let concurrency = SIDEKIQ_DEFAULT_CONCURRENCY;
  let shutdownTimeout = SIDEKIQ_DEFAULT_SHUTDOWN_TIMEOUT;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      if (eq > 0) return arg.slice(eq + 1);
      const v = args[++i];
      if (v === undefined) throw new Error(`sidekiq option ${flag} needs a value`);
      return v;
    };
    const count = (): number => {
      const v = value();
      if (!/^\d+$/.test(v)) throw new Error(`sidekiq option ${flag} needs a whole number, got ${JSON.stringify(v)}`);
      return Number(v);
    };
    switch (flag) {
      case "-q":
      case "--queue":
        queues.push(value().split(",")[0]!);
        break;
      case "-g":
      case "--tag":
        tag = value();
        break;
      case "-c":
      case "--concurrency":
        concurrency = count();
        break;
      case "-t":
      case "--timeout":
        shutdownTimeout = count();
        break;
      case "-C":
      case "--config":
      case "-e":
      case "--environment":
      case "-r":
      case "--require":
        value();
        break;
      default:
        break;
    }
  }
  return { queues: queues.length > 0 ? queues : ["default"], ...(tag !== undefined ? { tag } : {}), concurrency, shutdownTimeout };
}

export function sidekiqProcessOf(service: Service): SidekiqContainer | undefined {
  if (service.buildOnly) return undefined;
  const args = sidekiqArgs([...(service.entrypoint ?? []), ...(service.command ?? [])]);
  if (!args) return undefined;
  return { service: service.name, containerName: service.containerName, ...parseSidekiqArgs(args) };
}

/** Every container of the suite that runs Sidekiq, in service order. */
export function sidekiqProcesses(suite: Suite): SidekiqContainer[] {
  const out: SidekiqContainer[] = [];
  for (const service of suite.services.values()) {
    const p = sidekiqProcessOf(service);
    if (p) out.push(p);
  }
  return out;
}
