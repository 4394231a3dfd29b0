import cron from "node-cron";
import { UsageError } from "../core/errors.js";

/**
 * `--every` for `health watch` and `health install`: `90s`, `2m`, `1h` or a bare number of
 * minutes. It must divide its unit evenly, or the schedule would drift at every wrap-around.
 */
export interface Every {
  readonly ms: number;
  /** node-cron expression (seconds field first). */
  readonly nodeCron: string;
  /** crontab(5) time fields, when the interval is whole minutes (cron has no seconds). */
  readonly crontab?: string;
  readonly text: string;
}

export function parseEvery(text: string): Every {
  const m = /^(\d+)\s*(s|m|h)?$/.exec(text.trim());
  const n = m ? Number(m[1]) : NaN;
  const unit = (m?.[2] ?? "m") as "s" | "m" | "h";
  const span = { s: 60, m: 60, h: 24 }[unit];
  if (!m || n < 1 || n > span || span % n !== 0 && n !== span) {
    throw new UsageError(`--every ${text}: expected an interval like 30s, 2m or 1h that divides a ${unit === "h" ? "day" : unit === "m" ? "hour" : "minute"} evenly`);
  }
  const step = (k: number) => (k === 1 ? "*" : `*/${k}`);
  if (unit === "s") {
    return n === 60 ? parseEvery("1m") : { ms: n * 1000, nodeCron: `${step(n)} * * * * *`, text: `${n}s` };
  }
  if (unit === "m") {
    if (n === 60) return parseEvery("1h");
    return { ms: n * 60_000, nodeCron: `0 ${step(n)} * * * *`, crontab: `${step(n)} * * * *`, text: `${n}m` };
  }
  const hours = n === 24 ? "0" : step(n);
  return { ms: n * 3_600_000, nodeCron: `0 0 ${hours} * * *`, crontab: `0 ${hours} * * *`, text: `${n}h` };
}

export interface Watch {
  /** Stops scheduling and waits for a check under way to end (the check itself heeds SIGTERM). */
  stop(): Promise<void>;
}

/**
 * Runs `check` on the schedule inside this process, never two at once: node-cron 4.6's
 * `noOverlap` skips a tick while the previous run is pending (node-cron/node-cron,
 * src/scheduler/runner.ts: the heartbeat returns early when the last execution is still
 * "pending"), and this wrapper does the same for a run it started itself, so the rule does not
 * depend on node-cron's internals. node-cron's `stop()` does not wait for a run under way; this
 * one does, so the lock is released before the process exits. Errors are the check's to log.
 */
export function scheduleChecks(every: Every, check: () => Promise<void>, onOverlap: () => void = () => {}): Watch {
  let running: Promise<void> | undefined;
  const once = async () => {
    if (running) return onOverlap();
    running = check()
      .catch(() => {})
      .finally(() => (running = undefined));
    await running;
  };
  const task = cron.schedule(every.nodeCron, once, { name: "micropod-health", noOverlap: true });
  return {
    stop: async () => {
      await task.stop();
      await running;
    },
  };
}
