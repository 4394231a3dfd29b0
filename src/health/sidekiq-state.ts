import type { Redis } from "ioredis";
import { describeRedisFailure, redisTimedOut, unknownLayout } from "./redis-failure.js";

/**
 * What Sidekiq (6.5 to 8.1, the versions Mastodon 4.3 to 4.6 run) keeps in Redis about its
 * processes and queues, read in one round trip: a Lua script gathers the process set, each
 * process hash, its work hash and every queue's size and oldest job on the server.
 * Layouts (docs/health.md, "What is read"; sidekiq/sidekiq lib/sidekiq/launcher.rb and api.rb of
 * each release): `:work` from 6.4.2, `:workers` before; concurrency in `info` up to 8.1.1, a hash
 * field from 8.1.2; enqueued_at in seconds up to 7.x, ms from 8.0.
 */
export interface RunningJob {
  /** Sidekiq's thread id (the work hash field). */
  readonly thread: string;
  readonly queue: string;
  readonly jid?: string;
  readonly className?: string;
  /** When the job started, epoch ms. */
  readonly runAtMs: number;
}

export interface SidekiqProcessRecord {
  readonly identity: string;
  /** `-g` tag: micropod sets it to the container name. */
  readonly tag?: string;
  readonly hostname?: string;
  readonly pid?: number;
  readonly startedAtMs?: number;
  /** Queue names the process fetches from (weights stripped, no duplicates). */
  readonly queues: readonly string[];
  /** Threads; 0 when the process did not say. */
  readonly concurrency: number;
  readonly busy: number;
  /** Last heartbeat, epoch ms; undefined when the hash carries none. */
  readonly beatMs?: number;
  readonly quiet: boolean;
  readonly rssKb?: number;
  readonly jobs: readonly RunningJob[];
}

export interface QueueState {
  readonly name: string;
  readonly size: number;
  /** enqueued_at of the oldest job (LINDEX queue:<name> -1), epoch ms; undefined when empty. */
  readonly oldestEnqueuedAtMs?: number;
}

export interface SidekiqSnapshot {
  readonly processes: readonly SidekiqProcessRecord[];
  /** Identities still in `processes` whose hash expired: frozen or killed without a clean stop. */
  readonly ghosts: readonly string[];
  readonly queues: readonly QueueState[];
}

/** Queue latency as Sidekiq computes it: now − enqueued_at of the oldest job; 0 when empty. */
export function queueLatencyMs(q: QueueState, nowMs: number): number {
  return q.oldestEnqueuedAtMs === undefined ? 0 : Math.max(0, nowMs - q.oldestEnqueuedAtMs);
}

/** Sidekiq 8 writes epoch milliseconds where 7 wrote float seconds; no date in seconds passes 1e11. */
export function epochMs(v: unknown): number | undefined {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0) return undefined;
  return n > 1e11 ? n : n * 1000;
}

/**
 * ARGV[1] is the key prefix ("" or "<REDIS_NAMESPACE>:"); ARGV[2..] are queue names to report
 * even when the `queues` set lacks them. Returns
 * { {identity, info, busy, beat, quiet, concurrency, rss, {work field, value, ...}}, ... },
 * { ghost identity, ... }, { {queue, size, oldest job JSON}, ... }.
 * Nils become "" so the reply arrays keep their shape.
 */
export const SIDEKIQ_STATE_LUA = `
local p = ARGV[1]
local procs, ghosts, queues = {}, {}, {}
for _, id in ipairs(redis.call('SMEMBERS', p .. 'processes')) do
  local h = redis.call('HMGET', p .. id, 'info', 'busy', 'beat', 'quiet', 'concurrency', 'rss')
  if h[1] then
    local work = redis.call('HGETALL', p .. id .. ':work')
    if #work == 0 then work = redis.call('HGETALL', p .. id .. ':workers') end
    procs[#procs + 1] = {id, h[1], h[2] or '', h[3] or '', h[4] or '', h[5] or '', h[6] or '', work}
  else
    ghosts[#ghosts + 1] = id
  end
end
local seen = {}
local names = redis.call('SMEMBERS', p .. 'queues')
for i = 2, #ARGV do names[#names + 1] = ARGV[i] end
for _, q in ipairs(names) do
  if not seen[q] then
    seen[q] = true
    local key = p .. 'queue:' .. q
    queues[#queues + 1] = {q, redis.call('LLEN', key), redis.call('LINDEX', key, -1) or ''}
  end
end
return {procs, ghosts, queues}
`;

export interface ReadOptions {
  /** REDIS_NAMESPACE of Mastodon 4.3 (redis-namespace): keys are `<namespace>:<key>`. */
  readonly namespace?: string;
  /** Queues to report even when Sidekiq never pushed to them (the suite's own queues). */
  readonly queues?: readonly string[];
  /** Aborting drops the connection at once, even in the middle of a read; the next call reconnects. */
  readonly signal?: AbortSignal;
  /** Bound of one call, connection included (default: the connection's commandTimeout, else 10 s). */
  readonly timeoutMs?: number;
}

type ScriptRedis = Redis & { micropodSidekiqState(...args: string[]): Promise<unknown> };

/** Sidekiq's keys are not what the versions micropod knows write. */
export class SidekiqLayoutError extends Error {}

/**
 * Reads snapshots over one ioredis connection; the script is sent once, then called by its SHA.
 * Every call is bounded and abortable, and fails with a RedisUnavailableError whose message says
 * what to do (refused, no answer, password, loading, unknown layout).
 */
export class SidekiqStateReader {
  private readonly redis: ScriptRedis;
  private lastError: Error | undefined;
  /** host:port (or the socket path), for messages; never the password. */
  readonly where: string;

  constructor(redis: Redis) {
    if (!("micropodSidekiqState" in redis)) redis.defineCommand("micropodSidekiqState", { numberOfKeys: 0, lua: SIDEKIQ_STATE_LUA });
    this.redis = redis as ScriptRedis;
    redis.on("error", (err: Error) => (this.lastError = err));
    const o = redis.options;
    this.where = o.path ?? `${o.host?.includes(":") ? `[${o.host}]` : o.host}:${o.port}`;
  }

  async read(opts: ReadOptions = {}): Promise<SidekiqSnapshot> {
    const prefix = opts.namespace ? `${opts.namespace}:` : "";
    const reply = await this.bounded(opts, () => this.redis.micropodSidekiqState(prefix, ...(opts.queues ?? [])));
    try {
      return parseSnapshot(reply);
    } catch (err) {
      if (err instanceof SidekiqLayoutError) throw unknownLayout(this.where, err.message);
      throw err;
    }
  }

  /** Sidekiq's heartbeat pops `<identity>-signals` once per beat: TTIN dumps every thread's backtrace. */
  async pushSignal(identity: string, sidekiqSignal: "TTIN" | "TSTP" | "TERM", opts: Omit<ReadOptions, "queues"> = {}): Promise<void> {
    const prefix = opts.namespace ? `${opts.namespace}:` : "";
    await this.bounded(opts, () => this.redis.lpush(`${prefix}${identity}-signals`, sidekiqSignal));
  }

  /**
   * Connect when needed, run `call`, and give up at the first of: the answer, the timeout, the
   * signal. Giving up drops the connection: a Redis that accepted and never answers would
   * otherwise keep the read (and the process) alive forever.
   */
  private async bounded<T>(opts: Pick<ReadOptions, "signal" | "timeoutMs">, call: () => Promise<T>): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? this.redis.options.commandTimeout ?? 10_000;
    if (opts.signal?.aborted) throw opts.signal.reason;
    this.lastError = undefined;
    let stop: (reason: unknown) => void = () => {};
    const stopped = new Promise<never>((_, reject) => (stop = reject));
    const giveUp = (reason: unknown) => {
      stop(reason); // first, so the race settles with the reason, not with the closed connection
      this.redis.disconnect();
    };
    const timer = setTimeout(() => giveUp(redisTimedOut(this.where, timeoutMs)), timeoutMs);
    const onAbort = () => giveUp(opts.signal!.reason);
    opts.signal?.addEventListener("abort", onAbort, { once: true });
    const work = (async () => {
      // "wait": never connected (lazyConnect); "end": given up or closed before. Both need a connect.
      if (this.redis.status === "wait" || this.redis.status === "end") await this.redis.connect();
      return call();
    })().catch((err: unknown) => {
      throw describeRedisFailure(err, this.lastError, this.where, timeoutMs);
    });
    try {
      return await Promise.race([work, stopped]);
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
      work.catch(() => {}); // the loser of the race is settled by the disconnect; nobody waits for it
    }
  }
}

/** Turns the script's reply into a snapshot; exported so unit tests feed it documented layouts. */
export function parseSnapshot(reply: unknown): SidekiqSnapshot {
  const parts = asArray(reply);
  if (parts.length !== 3 || !parts.every(Array.isArray)) throw new SidekiqLayoutError("the state script's reply does not have its three parts");
  const [procs, ghosts, queues] = parts;
  return {
    processes: asArray(procs).map((row) => parseProcess(asArray(row))),
    ghosts: asArray(ghosts).map(String),
    queues: asArray(queues).map((row) => parseQueue(asArray(row))),
  };
}

function parseProcess(row: unknown[]): SidekiqProcessRecord {
  const [identity, infoJson, busy, beat, quiet, concurrency, rss, work] = row;
  const info = jsonObject(infoJson);
  // Every Sidekiq from 6.5 to 8.1 writes `info` as a JSON object naming the process's queues.
  if (!info || !Array.isArray(info.queues)) {
    throw new SidekiqLayoutError(`process ${String(identity)}: its "info" field is ${info ? "a JSON object without a queues list" : "not a JSON object"}`);
  }
  const fieldConcurrency = toInt(concurrency);
  const beatMs = epochMs(beat);
  const startedAtMs = epochMs(info.started_at);
  const rssKb = toInt(rss);
  return {
    identity: String(identity),
    ...(typeof info.tag === "string" && info.tag !== "" ? { tag: info.tag } : {}),
    ...(typeof info.hostname === "string" ? { hostname: info.hostname } : {}),
    ...(typeof info.pid === "number" ? { pid: info.pid } : {}),
    ...(startedAtMs !== undefined ? { startedAtMs } : {}),
    queues: queueNames(info.queues),
    // 8.1.2 moved concurrency out of `info` into its own field; either may be present.
    concurrency: fieldConcurrency ?? toInt(info.concurrency) ?? 0,
    busy: toInt(busy) ?? 0,
    ...(beatMs !== undefined ? { beatMs } : {}),
    quiet: String(quiet) === "true",
    ...(rssKb !== undefined ? { rssKb } : {}),
    jobs: parseWork(asArray(work)),
  };
}

/** The work hash as HGETALL returns it: field, value, field, value. */
function parseWork(flat: unknown[]): RunningJob[] {
  const jobs: RunningJob[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const w = parseJson(flat[i + 1]);
    // The payload is a JSON string (6.4+); older writers stored the job hash itself.
    const payload = typeof w.payload === "string" ? parseJson(w.payload) : isObject(w.payload) ? w.payload : {};
    const runAtMs = epochMs(w.run_at);
    if (runAtMs === undefined) continue;
    jobs.push({
      thread: String(flat[i]),
      queue: typeof w.queue === "string" ? w.queue : String(payload.queue ?? ""),
      ...(typeof payload.jid === "string" ? { jid: payload.jid } : {}),
      ...(typeof payload.class === "string" ? { className: payload.class } : {}),
      runAtMs,
    });
  }
  return jobs.sort((a, b) => (a.thread < b.thread ? -1 : a.thread > b.thread ? 1 : 0));
}

function parseQueue(row: unknown[]): QueueState {
  const [name, size, oldest] = row;
  const job = oldest ? parseJson(oldest) : {};
  const at = epochMs(job.enqueued_at) ?? epochMs(job.created_at);
  const n = toInt(size) ?? 0;
  return { name: String(name), size: n, ...(n > 0 && at !== undefined ? { oldestEnqueuedAtMs: at } : {}) };
}

/** `info.queues` lists names, repeated or as "name,weight" in some versions. */
function queueNames(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  return [...new Set(v.map((q) => String(Array.isArray(q) ? q[0] : q).split(",")[0]!.trim()).filter(Boolean))];
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function parseJson(v: unknown): Json {
  return jsonObject(v) ?? {};
}

function jsonObject(v: unknown): Json | undefined {
  if (typeof v !== "string" && !Buffer.isBuffer(v)) return undefined;
  try {
    const parsed: unknown = JSON.parse(String(v));
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function toInt(v: unknown): number | undefined {
  if (v === null || v === undefined || v === "") return undefined;
  const n = Number(typeof v === "object" ? String(v) : v);
  return Number.isFinite(n) ? Math.trunc(n) : undefined;
}
