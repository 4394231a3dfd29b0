import { Redis } from "ioredis";
import { hostOf, hostUrl } from "../suite/placement.js";
import { loadConfig, registerSecrets } from "../config/load.js";
import type { MicropodConfig } from "../config/model.js";
import { UsageError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Redactor } from "../core/redact.js";
import { loadSuite, sidekiqProcesses } from "../suite/index.js";
import { AlertmanagerSink, type AlertSink } from "./alertmanager.js";
import { healthStatePath } from "./health-state.js";
import { DEFAULT_METRICS_DIR, type MetricsTarget } from "./metrics.js";
import { sidekiqRedis } from "./redis-connection.js";
import type { Every } from "./schedule.js";
import { SidekiqStateReader } from "./sidekiq-state.js";
import { type SidekiqTarget, parseQueuesSpec } from "./targets.js";
import { type HealthThresholds, checkBounds, thresholdsFrom } from "./thresholds.js";

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
  readonly metrics: MetricsTarget;
  close(): void;
}

export interface SetupInput {
  readonly envFile: string;
  readonly composeFile: string;
  /** `QUEUES="ingress:mastodon-sidekiq-ingress-1 ..."`: names containers without a compose file. */
  readonly queues?: string;
  /** Every secret of the configuration is registered here before anything is logged. */
  readonly redactor?: Redactor;
  /**
   * Process environment: HEALTH_* thresholds, HEALTH_METRICS_DIR, MONITORHOST and INSTANCE
   * override the .env's (the seed sets MONITORHOST and INSTANCE on its crontab line).
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The schedule the checks run on: a check must always end before the next is due. */
  readonly every: Every;
}

export async function healthSetup(logger: Logger, input: SetupInput): Promise<HealthSetup> {
  const config = await loadConfig(input.envFile);
  if (input.redactor) registerSecrets(config, input.redactor);
  const targets = input.queues ? parseQueuesSpec(input.queues) : await suiteTargets(logger, input.composeFile, config);
  const setting = (name: string) => input.env?.[name]?.trim() || config.vars[name]?.trim() || undefined;
  const thresholds = thresholdsFrom({ ...config.vars, ...(input.env ?? {}) });
  checkBounds(thresholds, input.every, targets);
  const conn = sidekiqRedis(withoutUnpersistedRedisPassword(config), thresholds.redisTimeoutMs);
  const redis = new Redis(conn.options);
  // ioredis reports connection trouble as events; the reader turns them into the check's error.
  redis.on("error", () => {});
  const alerts = alertSink(setting);
  const metricsDir = setting("HEALTH_METRICS_DIR");
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
    ...(alerts ? { alerts } : {}),
    metrics: metricsDir ? { dir: metricsDir, create: true } : { dir: DEFAULT_METRICS_DIR, create: false },
    close: () => redis.disconnect(),
  };
}

/**
 * Alertmanager at MONITORHOST, alerts labelled with INSTANCE (the seed's name for this host in
 * its alerts), else the hostname.
 */
export function alertSink(setting: (name: string) => string | undefined): AlertSink | undefined {
  const monitor = setting("MONITORHOST");
  const instance = setting("INSTANCE");
  return monitor ? new AlertmanagerSink(monitor, instance ? { instance } : {}) : undefined;
}

/**
 * The configuration's variables as the running suite has them. A REDIS_PASSWORD this load only
 * generated (secrets.env does not hold it yet) was never given to any Redis: micropod's redis
 * gets the persisted one at start. Sending it would turn a Redis's NOAUTH into a misleading
 * WRONGPASS, so none is sent.
 */
function withoutUnpersistedRedisPassword(config: MicropodConfig): Readonly<Record<string, string | undefined>> {
  return config.generatedSecrets.includes("REDIS_PASSWORD") ? { ...config.vars, REDIS_PASSWORD: undefined } : config.vars;
}

async function suiteTargets(logger: Logger, composeFile: string, config: MicropodConfig): Promise<SidekiqTarget[]> {
  const suite = await loadSuite(composeFile, config.vars);
  const targets: SidekiqTarget[] = [];
  for (const p of sidekiqProcesses(suite)) {
    if (!p.tag) {
      logger.warn({ event: "health.untagged", service: p.service }, `${p.service} runs Sidekiq without -g: its process cannot be tied to ${p.containerName}; add \`-g ${p.containerName}\``);
      continue;
    }
    const url = hostUrl(suite, hostOf(suite, p.service));
    targets.push({ service: p.service, containerName: p.containerName, queues: p.queues, tag: p.tag, concurrency: p.concurrency, shutdownTimeout: p.shutdownTimeout, ...(url ? { url } : {}) });
  }
  if (targets.length === 0) throw new UsageError(`${composeFile} runs no tagged Sidekiq container`, ["tag each with -g <container name>, or name them with QUEUES=\"queue:container ...\""]);
  return targets;
}
