import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createPodmanSandbox } from "../support/podman-env.js";
import { cmdlinesContaining, mountsUnder, removeTree } from "../support/remove-tree.js";
import { tempDir } from "../support/temp.js";

/**
 * sidekiq-restart's teardown failed with `rmdir ... ENOTEMPTY` on the sandbox's graph/: after
 * `podman rm --force`, each container's conmon runs podman's exit command (`podman container
 * cleanup`), which writes into the storage again, while the directory was being removed.
 * removeTree waits for every process that names the directory before it removes anything.
 */
describe("removing a test's podman sandbox", () => {
  it("waits for a process still writing into the directory, then removes it all", async () => {
    const dir = tempDir("micropod-late-writer-");
    mkdirSync(join(dir, "graph"));
    // A stand-in for conmon's exit command: it names the directory and writes there a moment later.
    const late = spawn("sh", ["-c", 'sleep 1.5; mkdir -p "$1/graph/libpod" && : > "$1/graph/libpod/bolt_state.db"', "sh", dir], { stdio: "ignore" });
    const exited = new Promise((r) => late.once("exit", r));
    await removeTree(dir);
    await exited;
    // Removed after the writer was done: nothing came back.
    expect(existsSync(dir)).toBe(false);
  });

  it("leaves no container process, mount or file of a sandbox whose containers ran on the host's / (--rootfs /:O)", async () => {
    const sb = createPodmanSandbox();
    for (const name of ["a", "b", "c"]) sb.podman(["run", "--detach", "--name", name, "--network", "host", "--rootfs", "/:O", "sleep", "600"]);
    expect(mountsUnder(sb.root).length).toBeGreaterThan(0);
    await sb.cleanup();
    expect(existsSync(sb.root)).toBe(false);
    expect(cmdlinesContaining(sb.root)).toEqual([]);
    expect(mountsUnder(sb.root)).toEqual([]);
  });
});
