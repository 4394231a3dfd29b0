import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Clock } from "../../../src/core/clock.js";
import { LockError } from "../../../src/core/errors.js";
import { type LockFile, acquireLock, heldLockPaths, lockHolder, takeOverStaleLock, withLock } from "../../../src/core/lock.js";
import { tempDir } from "../../support/temp.js";

const lockPath = () => join(tempDir("micropod-lock-"), "state", "micropod.lock");

/** A clock whose sleep advances time instantly, so waiting tests take no real time. */
function fakeClock(): Clock & { slept: number[] } {
  let t = 1_700_000_000_000;
  const slept: number[] = [];
  return { slept, now: () => t, sleep: async (ms) => void (slept.push(ms), (t += ms)) };
}

describe("the shared lock", () => {
  it("is exclusive, names its holder, and is free again after release", async () => {
    const p = lockPath();
    const first = await acquireLock(p, { verb: "start" });
    expect(heldLockPaths()).toContain(p);
    expect(JSON.parse(readFileSync(p, "utf8"))).toMatchObject({ pid: process.pid, verb: "start" });
    const err = await acquireLock(p, { verb: "health" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockError);
    expect((err as Error).message).toMatch(/held by start \(pid \d+/);
    await first.release();
    expect(existsSync(p)).toBe(false);
    expect(heldLockPaths()).not.toContain(p);
    const second = await acquireLock(p, { verb: "health" });
    await second.release();
  });

  it("waits up to waitMs, polling, then gives up", async () => {
    const p = lockPath();
    const held = await acquireLock(p, { verb: "start" });
    const clock = fakeClock();
    await expect(acquireLock(p, { verb: "health", waitMs: 2000, pollMs: 500, clock })).rejects.toBeInstanceOf(LockError);
    expect(clock.slept).toEqual([500, 500, 500, 500]);
    await held.release();
  });

  it("takes over a lock whose process has died", async () => {
    const p = lockPath();
    const dead = spawnSync("true").pid; // a pid that existed and has exited
    await acquireLock(p, { verb: "x" }).then((l) => l.release()); // creates the directory
    writeFileSync(p, JSON.stringify({ pid: dead, verb: "start", host: hostname(), since: "then" }));
    expect(await lockHolder(p)).toBeUndefined();
    const l = await acquireLock(p, { verb: "stop" });
    expect(JSON.parse(readFileSync(p, "utf8")).verb).toBe("stop");
    await l.release();
  });

  it("does not remove a lock someone else took over", async () => {
    const p = lockPath();
    const l = await acquireLock(p, { verb: "start" });
    writeFileSync(p, JSON.stringify({ pid: 1, verb: "other", host: hostname(), since: "later" }));
    await l.release();
    expect(existsSync(p)).toBe(true);
  });

  it("withLock holds the lock while fn runs and releases it when fn returns or throws", async () => {
    const p = lockPath();
    const seen = await withLock(p, { verb: "start" }, async (l) => {
      expect(JSON.parse(readFileSync(p, "utf8"))).toMatchObject({ pid: process.pid, verb: "start" });
      return l.owner.verb;
    });
    expect(seen).toBe("start");
    expect(existsSync(p)).toBe(false);
    const boom = new Error("template lookup failed");
    await expect(withLock(p, { verb: "upgrade" }, async () => Promise.reject(boom))).rejects.toBe(boom);
    expect(existsSync(p)).toBe(false);
    expect(heldLockPaths()).not.toContain(p);
    // A held lock: fn never runs.
    let ran = false;
    const other = await acquireLock(p, { verb: "stop" });
    await expect(withLock(p, { verb: "health" }, async () => void (ran = true))).rejects.toBeInstanceOf(LockError);
    expect(ran).toBe(false);
    await other.release();
  });

  it("a taker that read the dead owner late does not remove the lock a faster taker created", async () => {
    const p = lockPath();
    const dead = spawnSync("true").pid;
    await acquireLock(p, { verb: "x" }).then((l) => l.release());
    const deadText = JSON.stringify({ pid: dead, verb: "start", host: hostname(), since: "then" });
    writeFileSync(p, deadText);
    const seenBySlow: LockFile = { raw: deadText, owner: JSON.parse(deadText), mtimeMs: Date.now() };
    // The fast taker has already replaced the dead lock with its own, live one.
    const fast = await acquireLock(p, { verb: "stop" });
    const fastText = readFileSync(p, "utf8");
    await takeOverStaleLock(p, seenBySlow);
    expect(readFileSync(p, "utf8")).toBe(fastText);
    expect(readdirSync(dirname(p))).toEqual(["micropod.lock"]);
    await expect(acquireLock(p, { verb: "health" })).rejects.toBeInstanceOf(LockError);
    await fast.release();
    expect(existsSync(p)).toBe(false);
  });

  it("of many takers of one dead lock, exactly one wins", async () => {
    for (let round = 0; round < 20; round++) {
      const p = lockPath();
      await acquireLock(p, { verb: "x" }).then((l) => l.release());
      writeFileSync(p, JSON.stringify({ pid: spawnSync("true").pid, verb: "start", host: hostname(), since: "then" }));
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => acquireLock(p, { verb: `taker-${i}` })));
      const won = results.filter((r) => r.status === "fulfilled");
      expect(won).toHaveLength(1);
      expect(results.filter((r) => r.status === "rejected").every((r) => r.reason instanceof LockError)).toBe(true);
      expect(readdirSync(dirname(p))).toEqual(["micropod.lock"]);
      await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireLock>>>).value.release();
    }
  });

  it("an empty lock file is held while fresh and stale after a minute (a crash between create and write)", async () => {
    const p = lockPath();
    await acquireLock(p, { verb: "x" }).then((l) => l.release());
    writeFileSync(p, "");
    const err = await acquireLock(p, { verb: "start" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockError);
    expect((err as Error).message).toBe(`${p} is held by another micropod; try again when it has finished`);
    const old = (Date.now() - 61_000) / 1000;
    utimesSync(p, old, old);
    expect(await lockHolder(p)).toBeUndefined();
    const l = await acquireLock(p, { verb: "start" });
    expect(JSON.parse(readFileSync(p, "utf8")).verb).toBe("start");
    await l.release();
  });

  it("a takeover guard left by a crash holds takeovers back for a minute, then is cleared", async () => {
    const p = lockPath();
    await acquireLock(p, { verb: "x" }).then((l) => l.release());
    writeFileSync(p, JSON.stringify({ pid: spawnSync("true").pid, verb: "start", host: hostname(), since: "then" }));
    writeFileSync(`${p}.takeover`, "");
    await expect(acquireLock(p, { verb: "stop" })).rejects.toBeInstanceOf(LockError);
    const old = (Date.now() - 61_000) / 1000;
    utimesSync(`${p}.takeover`, old, old);
    const l = await acquireLock(p, { verb: "stop", waitMs: 1000, pollMs: 10 });
    expect(readdirSync(dirname(p))).toEqual(["micropod.lock"]);
    await l.release();
  });
});
