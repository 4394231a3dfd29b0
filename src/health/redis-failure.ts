import { ExitCode, MicropodError } from "../core/errors.js";

/**
 * Why Sidekiq's state could not be read, as something a person can act on, one message per
 * failure mode. The Redis replies matched here are Redis' own (redis/redis, src/server.c
 * createSharedObjects: "-NOAUTH Authentication required.", "-LOADING Redis is loading the dataset
 * in memory", "-BUSY Redis is busy running a script..."; src/acl.c: "-WRONGPASS invalid
 * username-password pair or user is disabled."; Redis 5 and older answered a wrong AUTH with
 * "ERR invalid password").
 */
export type RedisFailureKind = "refused" | "timeout" | "unreachable" | "no-such-host" | "closed" | "auth-missing" | "auth-wrong" | "loading" | "busy" | "layout" | "other";

export class RedisUnavailableError extends MicropodError {
  constructor(
    readonly kind: RedisFailureKind,
    message: string,
    details: readonly string[] = [],
  ) {
    super(message, ExitCode.unavailable, details);
  }
}

const STATUS = "is the redis container running? See `micropod status`";
const PASSWORD_VARS = "REDIS_PASSWORD (or SIDEKIQ_REDIS_PASSWORD, or the password in SIDEKIQ_REDIS_URL)";

export const redisTimedOut = (where: string, timeoutMs: number) =>
  new RedisUnavailableError("timeout", `cannot reach Redis at ${where} (no answer within ${Math.round(timeoutMs / 100) / 10} s): ${STATUS}`);

/** Sidekiq's keys in Redis are not what Sidekiq 6.5 to 8.1 write. */
export const unknownLayout = (where: string, what: string) =>
  new RedisUnavailableError("layout", `Redis at ${where} holds a Sidekiq layout micropod does not know: ${what}`, [
    "micropod reads what Sidekiq 6.5 to 8.1 write (Mastodon 4.3 to 4.6); check SIDEKIQ_REDIS_DB / REDIS_NAMESPACE, or upgrade micropod",
  ]);

/**
 * `err` is what the command or connect rejected with; `lastError` the last error event of the
 * connection (ioredis rejects pending commands with a bare "Connection is closed." after a
 * refused or reset connection, and reports the cause only as an event).
 */
export function describeRedisFailure(err: unknown, lastError: Error | undefined, where: string, timeoutMs: number): RedisUnavailableError {
  if (err instanceof RedisUnavailableError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  const cause = e.message === "Connection is closed." && lastError ? lastError : e;
  const code = (cause as NodeJS.ErrnoException).code;
  const text = cause.message;
  if (/^NOAUTH\b/.test(text)) {
    return new RedisUnavailableError("auth-missing", `Redis at ${where} requires a password and micropod was given none (NOAUTH): set ${PASSWORD_VARS} in the .env, as Mastodon's Sidekiq has it`);
  }
  if (/^WRONGPASS\b|^ERR invalid password/.test(text)) {
    return new RedisUnavailableError("auth-wrong", `Redis at ${where} refused the password (WRONGPASS): ${PASSWORD_VARS} does not match Redis' requirepass or ACL user`);
  }
  if (/^LOADING\b/.test(text)) {
    return new RedisUnavailableError("loading", `Redis at ${where} is loading its dataset into memory (LOADING): nothing to do; the next check reads it once it is loaded`);
  }
  if (/^BUSY\b/.test(text)) {
    return new RedisUnavailableError("busy", `Redis at ${where} is busy running a script (BUSY): ${text}`);
  }
  if (/^WRONGTYPE\b/.test(text)) return unknownLayout(where, `a key Sidekiq uses holds another type (${text})`);
  if (code === "ECONNREFUSED") return new RedisUnavailableError("refused", `cannot reach Redis at ${where} (connection refused): ${STATUS}`);
  if (code === "ETIMEDOUT" || text === "Command timed out") return redisTimedOut(where, timeoutMs);
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH" || code === "EADDRNOTAVAIL") {
    return new RedisUnavailableError("unreachable", `cannot reach Redis at ${where} (${code === "ENETUNREACH" ? "network" : "host"} unreachable): ${STATUS}`);
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new RedisUnavailableError("no-such-host", `cannot reach Redis at ${where} (no such host): check REDIS_HOST / SIDEKIQ_REDIS_URL`);
  if (code === "ECONNRESET" || code === "EPIPE" || text === "Connection is closed.") {
    return new RedisUnavailableError("closed", `Redis at ${where} closed the connection: ${STATUS}`);
  }
  return new RedisUnavailableError("other", `cannot read Sidekiq's state from Redis at ${where}: ${text}`);
}
