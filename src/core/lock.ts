import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { mkdir, open, readFile, rm, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { type Clock, systemClock } from "./clock.js";
import { LockError } from "./errors.js";

/**
 * The one lock shared by every verb that changes containers (start, stop, upgrade, restore,
 * health restarts), so cron never restarts a container in the middle of a start.
 * The lock file holds who took it; a lock whose process is gone is stale and taken over, and so is
 * an empty or unreadable one older than a minute (a crash between creating and writing it).
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
    const current = await readLockFile(path);
    if (!current) continue; // released between our create and our read: try again at once
    // A takeover under way elsewhere counts as held: wait for it like for any holder.
    if (isStaleFile(current) && (await takeOverStaleLock(path, current))) continue;
    if (clock.now() >= deadline) {
      const o = current.owner;
      const who = o ? `${o.verb} (pid ${o.pid}, since ${o.since})` : "another micropod";
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
  const current = await readLockFile(path);
  return current && !isStaleFile(current) ? (current.owner ?? { pid: -1, verb: "unknown", host: "", since: "" }) : undefined;
}

/** A lock file as read: its text, who it names (when it parses), and when it was last written. */
export interface LockFile {
  readonly raw: string;
  readonly owner?: LockOwner;
  readonly mtimeMs: number;
}

/** An empty or unparseable lock file this old was left by a crash between create and write. */
export const UNWRITTEN_STALE_MS = 60_000;

/**
 * Take over the stale lock `seen`. Two takers may both have read the same dead owner; removing
 * by name would let the slower one delete the lock the faster one has just created. So takeovers
 * go one at a time under a guard file (created exclusively), and under it the lock is read again
 * and removed only when it is still the dead owner seen. Nothing else replaces a dead owner's
 * file (its owner never releases it; creating needs the name free), so the check holds until
 * the removal. Renaming the lock aside instead is not enough: while a live lock sits renamed
 * aside to be checked, its name is free and a third process takes it.
 * Returns false when another takeover is under way; after true the caller retries creating.
 */
export async function takeOverStaleLock(path: string, seen: LockFile): Promise<boolean> {
  const guard = `${path}.takeover`;
  const token = `${process.pid}.${randomBytes(6).toString("hex")}\n`;
  try {
    const fh = await open(guard, "wx", 0o644);
    try {
      await fh.writeFile(token);
    } finally {
      await fh.close();
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    // Another takeover is under way (it takes milliseconds); one left by a crash is cleared after a minute.
    const st = await stat(guard).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > UNWRITTEN_STALE_MS) await rm(guard, { force: true });
    return false;
  }
  try {
    const now = await readLockFile(path);
    if (now && now.raw === seen.raw && isStaleFile(now)) await rm(path, { force: true });
  } finally {
    if ((await readFile(guard, "utf8").catch(() => "")) === token) await rm(guard, { force: true });
  }
  return true;
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

async function readLockFile(path: string): Promise<LockFile | undefined> {
  try {
    const [raw, st] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    const owner = parseOwner(raw);
    return owner ? { raw, owner, mtimeMs: st.mtimeMs } : { raw, mtimeMs: st.mtimeMs };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

function parseOwner(raw: string): LockOwner | undefined {
  try {
    const o = JSON.parse(raw) as Partial<LockOwner> | null;
    return o && typeof o === "object" && typeof o.pid === "number" ? (o as LockOwner) : undefined;
  } catch {
    return undefined;
  }
}

/** A lock file being written right now reads empty: it is held, unless it has stayed so for a minute. */
function isStaleFile(f: LockFile): boolean {
  // File times are wall-clock times, so this compares with the wall clock, not the injected Clock.
  return f.owner ? isStale(f.owner) : Date.now() - f.mtimeMs > UNWRITTEN_STALE_MS;
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
  const current = (await readLockFile(path))?.owner;
  if (current && current.pid === owner.pid && current.since === owner.since) await rm(path, { force: true });
}
