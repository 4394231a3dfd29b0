import type { HealthThresholds } from "./thresholds.js";
import type { SidekiqTarget } from "./targets.js";
import { type SidekiqProcessRecord, type SidekiqSnapshot, queueLatencyMs } from "./sidekiq-state.js";

/**
 * Pure rules that turn one snapshot (plus what the previous sample left in memory) into a verdict
 * per sidekiq container. No I/O: the check feeds it, unit tests feed it documented layouts.
 */
export type VerdictStatus = "healthy" | "wedged" | "absent";
export type ReasonCode = "heartbeat-gone" | "threads-stuck" | "stuck-quiet" | "queue-starving";

export interface Reason {
  readonly code: ReasonCode;
  readonly message: string;
}

/** What one sample hands the next: rules that need "the same across samples" compare against it. */
export interface VerdictMemory {
  /** The process last seen for this container: once its hash expires it is still recognised. */
  readonly identity?: string;
  /** The busy threads' jobs when all threads were busy: `thread:jid` pairs. */
  readonly jobs?: string;
  readonly quietSinceMs?: number;
  readonly latencyMs?: Readonly<Record<string, number>>;
}

export interface ContainerVerdict {
  readonly container: string;
  readonly status: VerdictStatus;
  readonly reasons: readonly Reason[];
  readonly identity?: string;
  /** The process still beats: it can be asked for a thread dump (TTIN) before the restart. */
  readonly heartbeatAlive: boolean;
  readonly busy?: number;
  readonly concurrency?: number;
  /** Time since the process's last heartbeat, when it wrote one. */
  readonly heartbeatAgeMs?: number;
  readonly memory: VerdictMemory;
}

export interface UnservedQueue {
  readonly queue: string;
  readonly size: number;
  readonly latencyMs: number;
}

export interface Judgement {
  readonly verdicts: readonly ContainerVerdict[];
  /** Queues holding jobs that no live process fetches from: an alert, not a restart. */
  readonly unserved: readonly UnservedQueue[];
}

const sec = (ms: number) => `${Math.round(ms / 1000)} s`;

export function judge(
  snapshot: SidekiqSnapshot,
  targets: readonly SidekiqTarget[],
  memory: Readonly<Record<string, VerdictMemory | undefined>>,
  t: HealthThresholds,
  nowMs: number,
): Judgement {
  const latency = new Map(snapshot.queues.map((q) => [q.name, queueLatencyMs(q, nowMs)]));
  const verdicts = targets.map((target) => judgeContainer(snapshot, target, memory[target.containerName] ?? {}, latency, t, nowMs));
  const served = new Set(snapshot.processes.flatMap((p) => p.queues));
  const unserved = snapshot.queues
    .filter((q) => q.size > 0 && !served.has(q.name))
    .map((q) => ({ queue: q.name, size: q.size, latencyMs: latency.get(q.name) ?? 0 }));
  return { verdicts, unserved };
}

function judgeContainer(
  snapshot: SidekiqSnapshot,
  target: SidekiqTarget,
  mem: VerdictMemory,
  latency: ReadonlyMap<string, number>,
  t: HealthThresholds,
  now: number,
): ContainerVerdict {
  const p = newest(snapshot.processes.filter((x) => x.tag === target.tag));
  const servedQueues = p?.queues.length ? p.queues : target.queues;
  const latencyMs = Object.fromEntries(servedQueues.map((q) => [q, latency.get(q) ?? 0]));

  if (!p) {
    // A frozen process keeps its identity in `processes` after its hash expires (60 s TTL).
    if (mem.identity && snapshot.ghosts.includes(mem.identity)) {
      const reasons = [{ code: "heartbeat-gone" as const, message: `process ${mem.identity} stopped beating: its hash expired` }];
      return {
        container: target.containerName,
        status: "wedged",
        reasons: [...reasons, ...starving(servedQueues, latencyMs, mem, t)],
        identity: mem.identity,
        heartbeatAlive: false,
        memory: { identity: mem.identity, latencyMs },
      };
    }
    return { container: target.containerName, status: "absent", reasons: [], heartbeatAlive: false, memory: { latencyMs } };
  }

  const reasons: Reason[] = [];
  const beatAge = p.beatMs === undefined ? undefined : now - p.beatMs;
  const heartbeatGone = beatAge !== undefined && beatAge > t.heartbeatStaleMs;
  if (heartbeatGone) reasons.push({ code: "heartbeat-gone", message: `last heartbeat ${sec(beatAge)} ago (limit ${sec(t.heartbeatStaleMs)})` });

  const concurrency = p.concurrency || target.concurrency || 0;
  const saturated = concurrency > 0 && p.busy >= concurrency && p.jobs.length >= concurrency;
  const jobs = saturated ? p.jobs.map((j) => `${j.thread}:${j.jid ?? j.runAtMs}`).join(" ") : undefined;
  const sameJobs = saturated && mem.jobs === jobs;
  if (saturated && (mem.jobs === undefined || sameJobs)) {
    // Sidekiq rewrites the work hash only at each heartbeat: measure the jobs' age at that beat,
    // or a busy process would look stuck until its next beat.
    const asOf = p.beatMs ?? now;
    const youngest = Math.min(...p.jobs.map((j) => asOf - j.runAtMs));
    if (youngest > t.stuckJobMs) {
      reasons.push({ code: "threads-stuck", message: `all ${concurrency} threads busy on the same jobs for over ${sec(youngest)} (limit ${sec(t.stuckJobMs)})` });
    }
  }

  const quietSinceMs = p.quiet ? (mem.quietSinceMs ?? now) : undefined;
  const quietLimit = target.shutdownTimeout * 1000 + t.quietMarginMs;
  if (quietSinceMs !== undefined && now - quietSinceMs > quietLimit) {
    reasons.push({ code: "stuck-quiet", message: `quiet for ${sec(now - quietSinceMs)} (limit ${sec(quietLimit)})` });
  }

  // A starving queue alone may just be a busy instance (every thread on young jobs with a
  // backlog): it counts only beside another wedge sign (heartbeat gone, threads stuck past
  // stuckJobMs, stuck quiet), never on its own.
  if (reasons.length > 0) reasons.push(...starving(servedQueues, latencyMs, mem, t));

  return {
    container: target.containerName,
    status: reasons.length ? "wedged" : "healthy",
    reasons,
    identity: p.identity,
    heartbeatAlive: !heartbeatGone,
    busy: p.busy,
    concurrency,
    ...(beatAge !== undefined ? { heartbeatAgeMs: beatAge } : {}),
    memory: {
      identity: p.identity,
      ...(jobs !== undefined ? { jobs } : {}),
      ...(quietSinceMs !== undefined ? { quietSinceMs } : {}),
      latencyMs,
    },
  };
}

function starving(queues: readonly string[], latencyMs: Record<string, number>, mem: VerdictMemory, t: HealthThresholds): Reason[] {
  return queues.flatMap((q) => {
    const now = latencyMs[q] ?? 0;
    const before = mem.latencyMs?.[q];
    return now > t.starvingLatencyMs && before !== undefined && now > before
      ? [{ code: "queue-starving" as const, message: `queue ${q} waits ${sec(now)} and growing (limit ${sec(t.starvingLatencyMs)})` }]
      : [];
  });
}

/** Two live processes with one tag only overlap during a restart: the newer one is the container's. */
function newest(ps: readonly SidekiqProcessRecord[]): SidekiqProcessRecord | undefined {
  return [...ps].sort((a, b) => (b.startedAtMs ?? 0) - (a.startedAtMs ?? 0))[0];
}
