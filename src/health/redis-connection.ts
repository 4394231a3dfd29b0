import type { RedisOptions } from "ioredis";
import { UsageError } from "../core/errors.js";

/**
 * Where Mastodon's Sidekiq keeps its state: SIDEKIQ_REDIS_URL, else SIDEKIQ_REDIS_{HOST,PORT,DB,
 * USER,PASSWORD} each falling back to REDIS_* (Mastodon's own rule), plus REDIS_NAMESPACE (4.3).
 */
export interface SidekiqRedis {
  readonly options: RedisOptions;
  readonly namespace?: string;
  /** For messages: host:port/db, never the password. */
  readonly where: string;
}

export function sidekiqRedis(vars: Readonly<Record<string, string | undefined>>): SidekiqRedis {
  const v = (name: string) => {
    const x = vars[`SIDEKIQ_${name}`] || vars[name];
    return x && x.trim() !== "" ? x.trim() : undefined;
  };
  const namespace = vars.REDIS_NAMESPACE?.trim() || undefined;
  const base: RedisOptions = { lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 1, connectTimeout: 5000, connectionName: "micropod-health" };
  const url = vars.SIDEKIQ_REDIS_URL?.trim() || vars.REDIS_URL?.trim();
  if (url) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new UsageError(`SIDEKIQ_REDIS_URL/REDIS_URL is not a URL`, ["expected e.g. redis://10.89.0.11:6379/0"]);
    }
    const db = Number(u.pathname.replace(/^\//, "") || 0);
    const options: RedisOptions = {
      ...base,
      host: u.hostname.replace(/^\[|\]$/g, ""),
      port: Number(u.port || 6379),
      db,
      ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
      ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
      ...(u.protocol === "rediss:" ? { tls: {} } : {}),
    };
    return { options, where: `${options.host}:${options.port}/${db}`, ...(namespace ? { namespace } : {}) };
  }
  const host = v("REDIS_HOST") ?? "10.89.0.11";
  const port = Number(v("REDIS_PORT") ?? 6379);
  const db = Number(v("REDIS_DB") ?? 0);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`REDIS_PORT=${v("REDIS_PORT")}: expected a port number`);
  const user = v("REDIS_USER");
  const password = v("REDIS_PASSWORD");
  return {
    options: { ...base, host, port, db, ...(user ? { username: user } : {}), ...(password ? { password } : {}) },
    where: `${host}:${port}/${db}`,
    ...(namespace ? { namespace } : {}),
  };
}
