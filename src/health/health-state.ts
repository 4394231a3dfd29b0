import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../core/atomic-write.js";
import type { VerdictMemory, VerdictStatus } from "./verdict.js";

/**
 * What the health check keeps between runs (cron starts a fresh process every time), in
 * `<state>/health.json`, written atomically so a crash mid-write leaves the previous state.
 */
export interface ContainerRecord {
  /** Consecutive failing samples. */
  readonly failing: number;
  readonly lastStatus?: VerdictStatus;
  readonly lastReasons: readonly string[];
  readonly lastCheckedAtMs?: number;
  /** Restart times, epoch ms, newest last; older than a day are dropped. */
  readonly restarts: readonly number[];
  readonly memory: VerdictMemory;
}

export type HealthEventKind = "restart" | "restart-failed" | "alert" | "skip";

export interface HealthEvent {
  readonly atMs: number;
  readonly kind: HealthEventKind;
  readonly container?: string;
  readonly message: string;
}

/** Consecutive checks that could not read Sidekiq's state from Redis. */
export interface RedisRecord {
  readonly failing: number;
  readonly sinceMs?: number;
  readonly lastError?: string;
}

/** Counts since the state file was created, for the metrics' counters. */
export interface HealthTotals {
  /** Restarts by container and outcome ("ok" or "failed"). */
  readonly restarts: Readonly<Record<string, { readonly ok: number; readonly failed: number }>>;
  /** Alerts posted (or tried), by alert name. */
  readonly alerts: Readonly<Record<string, number>>;
}

export interface HealthState {
  readonly version: 1;
  readonly lastCheckAtMs?: number;
  readonly containers: Readonly<Record<string, ContainerRecord>>;
  /** Restarts, alerts and skipped checks, newest last, at most `MAX_EVENTS`. */
  readonly events: readonly HealthEvent[];
  readonly redis?: RedisRecord;
  readonly totals?: HealthTotals;
}

export const MAX_EVENTS = 200;
export const emptyState = (): HealthState => ({ version: 1, containers: {}, events: [] });
export const emptyRecord = (): ContainerRecord => ({ failing: 0, lastReasons: [], restarts: [], memory: {} });
export const healthStatePath = (stateDir: string) => join(stateDir, "health.json");

/** A missing file is a first run; an unreadable one is set aside rather than blocking every check. */
export async function loadHealthState(path: string): Promise<HealthState> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return emptyState();
    throw err;
  }
  try {
    const v = JSON.parse(text) as Partial<HealthState>;
    if (v.version !== 1 || typeof v.containers !== "object" || !Array.isArray(v.events)) return emptyState();
    return {
      version: 1,
      containers: v.containers ?? {},
      events: v.events,
      ...(v.lastCheckAtMs ? { lastCheckAtMs: v.lastCheckAtMs } : {}),
      ...(isObject(v.redis) && typeof v.redis.failing === "number" ? { redis: v.redis } : {}),
      ...(isObject(v.totals) && isObject(v.totals.restarts) && isObject(v.totals.alerts) ? { totals: v.totals } : {}),
    };
  } catch {
    return emptyState();
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export const emptyTotals = (): HealthTotals => ({ restarts: {}, alerts: {} });

/** `totals` after these restarts and alerts. */
export function addTotals(totals: HealthTotals | undefined, restarts: readonly { container: string; ok: boolean }[], alerts: readonly string[]): HealthTotals {
  const t = totals ?? emptyTotals();
  const r: Record<string, { ok: number; failed: number }> = { ...t.restarts };
  for (const x of restarts) {
    const before = r[x.container] ?? { ok: 0, failed: 0 };
    r[x.container] = x.ok ? { ...before, ok: before.ok + 1 } : { ...before, failed: before.failed + 1 };
  }
  const a: Record<string, number> = { ...t.alerts };
  for (const name of alerts) a[name] = (a[name] ?? 0) + 1;
  return { restarts: r, alerts: a };
}

export async function saveHealthState(path: string, state: HealthState): Promise<void> {
  const trimmed: HealthState = { ...state, events: state.events.slice(-MAX_EVENTS) };
  await writeFileAtomic(path, `${JSON.stringify(trimmed, null, 2)}\n`, { mode: 0o644, mkdirs: true });
}
