import type { Redis } from "ioredis";

/**
 * Sidekiq's Redis layouts per version, as each release's lib/sidekiq/launcher.rb (sidekiq/sidekiq)
 * writes them and docs/health.md describes them, so the reader is tested on 6.5 (namespaced),
 * 7.3, 8.0 and 8.1.2 data.
 */
export type Layout = "6.5" | "7.3" | "8.0" | "8.1.2";

export interface FakeProcess {
  readonly identity: string;
  readonly tag: string;
  readonly queues: readonly string[];
  readonly concurrency: number;
  readonly beatS: number;
  readonly quiet?: boolean;
  /** thread id → [jid, run_at seconds] */
  readonly jobs?: Readonly<Record<string, readonly [string, number]>>;
}

export async function writeProcess(redis: Redis, layout: Layout, p: FakeProcess, namespace = ""): Promise<void> {
  const k = (key: string) => (namespace ? `${namespace}:${key}` : key);
  const info: Record<string, unknown> = { hostname: "sidekiq", started_at: p.beatS - 100, pid: 7, tag: p.tag, queues: p.queues, labels: [], identity: p.identity };
  if (layout !== "8.1.2") info.concurrency = p.concurrency;
  const fields: Record<string, string> = {
    info: JSON.stringify(info),
    busy: String(Object.keys(p.jobs ?? {}).length),
    beat: String(p.beatS),
    quiet: String(p.quiet ?? false),
    rss: "123456",
    rtt_us: "80",
  };
  if (layout === "8.1.2") fields.concurrency = String(p.concurrency);
  await redis.sadd(k("processes"), p.identity);
  await redis.hset(k(p.identity), fields);
  await redis.expire(k(p.identity), 60);
  for (const [thread, [jid, runAt]] of Object.entries(p.jobs ?? {})) {
    const payload = JSON.stringify({ class: "Stuck", args: [], queue: p.queues[0], jid, enqueued_at: enqueuedAt(layout, runAt - 1) });
    await redis.hset(k(`${p.identity}:work`), thread, JSON.stringify({ queue: p.queues[0], payload, run_at: runAt }));
  }
}

export async function pushJob(redis: Redis, layout: Layout, queue: string, enqueuedAtS: number, namespace = ""): Promise<void> {
  const k = (key: string) => (namespace ? `${namespace}:${key}` : key);
  await redis.sadd(k("queues"), queue);
  await redis.lpush(k(`queue:${queue}`), JSON.stringify({ class: "Job", args: [], queue, jid: `j${enqueuedAtS}`, created_at: enqueuedAt(layout, enqueuedAtS), enqueued_at: enqueuedAt(layout, enqueuedAtS) }));
}

/** Float seconds up to 7.x, integer milliseconds from 8.0. */
export function enqueuedAt(layout: Layout, seconds: number): number {
  return layout === "8.0" || layout === "8.1.2" ? Math.round(seconds * 1000) : seconds;
}
