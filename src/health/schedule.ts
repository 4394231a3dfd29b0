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
  stop(): Promise<void>;
}

/**
 * Runs `check` on the schedule inside this process; a check still running when the next one is
 * due is not started twice (node-cron's noOverlap). Errors are the check's to log.
 */
export function scheduleChecks(every: Every, check: () => Promise<void>): Watch {
  const task = cron.schedule(every.nodeCron, check, { name: "micropod-health", noOverlap: true });
  return { stop: async () => void (await task.stop()) };
}
