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

/**
 * ioredis settings for a check: each connect and each command bounded by `timeoutMs`, and no
 * reconnecting behind the check's back (ioredis' default retries forever, and a command then fails
 * with "Reached the max retries per request limit", which tells nobody what is wrong). The reader
 * reconnects at the next read; the cause of a failure comes from the connection's error event.
 */
export function sidekiqRedis(vars: Readonly<Record<string, string | undefined>>, timeoutMs = 10_000): SidekiqRedis {
  const v = (name: string) => {
    const x = vars[`SIDEKIQ_${name}`] || vars[name];
    return x && x.trim() !== "" ? x.trim() : undefined;
  };
  const namespace = vars.REDIS_NAMESPACE?.trim() || undefined;
  const base: RedisOptions = {
    lazyConnect: true,
    enableReadyCheck: false,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    // ioredis half-closes and waits this long for the server's side before destroying the socket
    // (2 s by default): a Redis that never answers would keep the process alive that much longer.
    disconnectTimeout: 100,
    // CLIENT SETINFO is one more round trip per connection, and Redis before 7.2 rejects it.
    disableClientInfo: true,
    connectionName: "micropod-health",
  };
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
