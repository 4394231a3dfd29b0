import { hostname } from "node:os";
import { mkdir, open, readFile, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { type Clock, systemClock } from "./clock.js";
import { LockError } from "./errors.js";

/**
 * The one lock shared by every verb that changes containers (start, stop, upgrade, restore,
 * health restarts), so cron never restarts a container in the middle of a start.
 * The lock file holds who took it; a lock whose process is gone is stale and taken over.
 */
export interface LockOwner {
  readonly pid: number;
  readonly verb: string;
  readonly host: string;
  readonly since: string;
}

export interface HeldLock {
  readonly path: string;
  readonly owner: LockOwner;
  release(): Promise<void>;
}

export interface AcquireOptions {
  readonly verb: string;
  /** How long to wait for a held lock before giving up (0: fail at once). */
  readonly waitMs?: number;
  readonly pollMs?: number;
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
}

const held = new Set<string>();

export async function acquireLock(path: string, opts: AcquireOptions): Promise<HeldLock> {
  const clock = opts.clock ?? systemClock;
  const deadline = clock.now() + (opts.waitMs ?? 0);
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const owner: LockOwner = { pid: process.pid, verb: opts.verb, host: hostname(), since: new Date(clock.now()).toISOString() };
  for (;;) {
    if (await tryCreate(path, owner)) {
      held.add(path);
      return { path, owner, release: () => releaseLock(path, owner) };
    }
    const current = await readOwner(path);
    if (current && isStale(current)) {
      await rm(path, { force: true });
      continue;
    }
    if (clock.now() >= deadline) {
      const who = current ? `${current.verb} (pid ${current.pid}, since ${current.since})` : "another micropod";
      throw new LockError(`${path} is held by ${who}; try again when it has finished`);
    }
    await clock.sleep(opts.pollMs ?? 500, opts.signal);
  }
}

/** Take the lock, run `fn` holding it, and release it however `fn` ends. */
export async function withLock<T>(path: string, opts: AcquireOptions, fn: (lock: HeldLock) => Promise<T>): Promise<T> {
  const lock = await acquireLock(path, opts);
  try {
    return await fn(lock);
  } finally {
    await lock.release();
  }
}

/** Who holds the lock now, or undefined; a stale lock counts as free. */
export async function lockHolder(path: string): Promise<LockOwner | undefined> {
  const current = await readOwner(path);
  return current && !isStale(current) ? current : undefined;
}

/** Locks this process holds, for the signal handler that must release them on Ctrl-C. */
export function heldLockPaths(): string[] {
  return [...held];
}

async function tryCreate(path: string, owner: LockOwner): Promise<boolean> {
  try {
    const fh = await open(path, "wx", 0o644);
    try {
      await fh.writeFile(`${JSON.stringify(owner)}\n`);
    } finally {
      await fh.close();
    }
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
}

async function readOwner(path: string): Promise<LockOwner | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as LockOwner;
  } catch (err) {
    // A lock file being written right now reads empty; treat it as held by someone unknown.
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return { pid: -1, verb: "unknown", host: "", since: "" };
  }
}

function isStale(o: LockOwner): boolean {
  if (o.pid <= 0 || o.host !== hostname()) return false;
  try {
    process.kill(o.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

async function releaseLock(path: string, owner: LockOwner): Promise<void> {
  held.delete(path);
  const current = await readOwner(path);
  if (current && current.pid === owner.pid && current.since === owner.since) await rm(path, { force: true });
}
