import { Redis } from "ioredis";
import { loadConfig, registerSecrets } from "../config/load.js";
import type { MicropodConfig } from "../config/model.js";
import { UsageError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Redactor } from "../core/redact.js";
import { loadSuite, sidekiqProcesses } from "../suite/index.js";
import { AlertmanagerSink, type AlertSink } from "./alertmanager.js";
import { healthStatePath } from "./health-state.js";
import { sidekiqRedis } from "./redis-connection.js";
import { SidekiqStateReader } from "./sidekiq-state.js";
import { type SidekiqTarget, parseQueuesSpec } from "./targets.js";
import { type HealthThresholds, thresholdsFrom } from "./thresholds.js";

/**
 * Everything a check needs, from the .env and the suite (or the seed's QUEUES form): which
 * containers, which Redis, where state and lock live, the thresholds and the Alertmanager.
 */
export interface HealthSetup {
  readonly config: MicropodConfig;
  readonly targets: readonly SidekiqTarget[];
  readonly redis: Redis;
  readonly reader: SidekiqStateReader;
  readonly namespace?: string;
  readonly redisWhere: string;
  readonly statePath: string;
  readonly lockPath: string;
  readonly thresholds: HealthThresholds;
  readonly alerts?: AlertSink;
  close(): void;
}

export interface SetupInput {
  readonly envFile: string;
  readonly composeFile: string;
  /** `QUEUES="ingress:mastodon-sidekiq-ingress-1 ..."`: names containers without a compose file. */
  readonly queues?: string;
  /** Every secret of the configuration is registered here before anything is logged. */
  readonly redactor?: Redactor;
  /** Process environment: HEALTH_* thresholds override the .env's. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export async function healthSetup(logger: Logger, input: SetupInput): Promise<HealthSetup> {
  const config = await loadConfig(input.envFile);
  if (input.redactor) registerSecrets(config, input.redactor);
  const targets = input.queues ? parseQueuesSpec(input.queues) : await suiteTargets(logger, input.composeFile, config);
  const thresholds = thresholdsFrom({ ...config.vars, ...(input.env ?? {}) });
  const conn = sidekiqRedis(config.vars);
  const redis = new Redis(conn.options);
  // ioredis reports connection trouble as events; the command that fails says what went wrong.
  redis.on("error", () => {});
  const monitor = config.vars.MONITORHOST?.trim();
  return {
    config,
    targets,
    redis,
    reader: new SidekiqStateReader(redis),
    ...(conn.namespace ? { namespace: conn.namespace } : {}),
    redisWhere: conn.where,
    statePath: healthStatePath(config.paths.state),
    lockPath: config.paths.lock,
    thresholds,
    ...(monitor ? { alerts: new AlertmanagerSink(monitor) } : {}),
    close: () => redis.disconnect(),
  };
}

async function suiteTargets(logger: Logger, composeFile: string, config: MicropodConfig): Promise<SidekiqTarget[]> {
  const suite = await loadSuite(composeFile, config.vars);
  const targets: SidekiqTarget[] = [];
  for (const p of sidekiqProcesses(suite)) {
    if (!p.tag) {
      logger.warn({ event: "health.untagged", service: p.service }, `${p.service} runs Sidekiq without -g: its process cannot be tied to ${p.containerName}; add \`-g ${p.containerName}\``);
      continue;
    }
    targets.push({ service: p.service, containerName: p.containerName, queues: p.queues, tag: p.tag, concurrency: p.concurrency, shutdownTimeout: p.shutdownTimeout });
  }
  if (targets.length === 0) throw new UsageError(`${composeFile} runs no tagged Sidekiq container`, ["tag each with -g <container name>, or name them with QUEUES=\"queue:container ...\""]);
  return targets;
}
