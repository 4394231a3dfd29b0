import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every process on the machine right now whose command line contains `needle` (not this one). */
export function cmdlinesContaining(needle: string): string[] {
  const hits: string[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const line = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
      if (line.includes(needle)) hits.push(`${pid}: ${line}`);
    } catch {
      /* the process ended while we looked */
    }
  }
  return hits;
}

/** Mount points at or below `dir` (from /proc/self/mountinfo, whose field 5 escapes spaces as \040), deepest first. */
export function mountsUnder(dir: string): string[] {
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  return readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => unescape(l.split(" ")[4] ?? ""))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/**
 * Wait until no process names `dir` in its command line. Podman hands every container to a
 * conmon, and conmon runs podman's exit command (`podman ... container cleanup`) after the
 * container dies, asynchronously: `podman rm --force` returns before it, and that cleanup
 * writes into the storage again. Removing the directory while it runs fails with ENOTEMPTY
 * (sidekiq-restart's teardown did). Past the deadline the stragglers, which carry this
 * directory in their arguments and so belong to this test, are killed.
 */
export async function waitForProcessesUsing(dir: string, deadlineMs = 30_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (cmdlinesContaining(dir).length && Date.now() < until) await sleep(100);
  const left = cmdlinesContaining(dir);
  if (!left.length) return;
  for (const l of left) {
    try {
      process.kill(Number(l.split(":")[0]), "SIGKILL");
    } catch {
      /* gone meanwhile */
    }
  }
  const killedBy = Date.now() + 10_000;
  while (cmdlinesContaining(dir).length && Date.now() < killedBy) await sleep(100);
  if (cmdlinesContaining(dir).length) throw new Error(`processes still use ${dir}:\n${cmdlinesContaining(dir).join("\n")}`);
}

/**
 * Remove a directory a test made, even one holding podman storage: podman's own reset first
 * (when the directory is a sandbox of test/support/podman-env.ts), then no process left that
 * uses it, then no mount left in it (podman mounts each container's /dev/shm, and an overlay
 * for `--rootfs /:O`, whose lower layer is the host's /: recursing through it would be wrong),
 * and only then the files.
 */
export async function removeTree(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  const conf = join(dir, "containers.conf");
  const storage = join(dir, "storage.conf");
  if (existsSync(conf) && existsSync(storage)) {
    const env = { ...process.env, CONTAINERS_CONF: conf, CONTAINERS_STORAGE_CONF: storage, TMPDIR: join(dir, "tmp") };
    // Each container's conmon runs until the container is gone, so wait for them only after rm.
    for (const args of [["rm", "--all", "--force", "--time", "0"], ["system", "reset", "--force"]]) {
      try {
        execFileSync("podman", args, { env, stdio: "ignore", timeout: 60_000 });
      } catch {
        /* a broken storage is what reset and the removal below are for */
      }
      await waitForProcessesUsing(dir);
    }
  }
  await waitForProcessesUsing(dir);
  for (const m of mountsUnder(dir)) {
    try {
      execFileSync("umount", [m], { stdio: "ignore" });
    } catch {
      execFileSync("umount", ["--lazy", m], { stdio: "ignore" });
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
