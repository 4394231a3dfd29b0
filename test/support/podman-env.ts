import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deferCleanup } from "./cleanup.js";
import { removeTree } from "./remove-tree.js";
import { requireTool } from "./require-tool.js";
import { tempDir } from "./temp.js";

/**
 * An isolated podman for one test file: its own storage root, run root, network config dir and
 * containers.conf, so tests never touch the machine's podman state nor each other's.
 * The sandbox lacks CAP_SYS_RESOURCE and runs cgroups v1 (DESIGN.md): runc, cgroupfs and
 * lowered default ulimits are what work here. Podman's temporary files (buildah's build
 * directories, image copies: containers.conf(5) image_copy_tmp_dir, which TMPDIR overrides) go
 * to the sandbox too, not to the machine's /var/tmp. The sandbox removes itself when the test
 * file ends (test/support/cleanup.ts); `cleanup()` may be called earlier, and more than once.
 */
export interface PodmanSandbox {
  readonly root: string;
  /** Environment for every podman invocation of the test (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF, TMPDIR). */
  readonly env: Record<string, string>;
  podman(args: string[], input?: string): string;
  /** A tiny image with busybox, made with `podman import`; returns its name. */
  busyboxImage(name?: string): string;
  cleanup(): Promise<void>;
}

/**
 * podman 4.3.1 (Debian's, runc) adds 20 s to every `podman wait` and attached `podman run` when
 * storage.conf's runroot is 51 characters or longer, and none at 50 or fewer (measured here;
 * its WaitForExit falls back to a 20 s timer, docs/engine.md). A runroot inside the test file's
 * directory is ~76 characters: the run state goes to a short directory beside the run root
 * instead, `<run root>.r-XXXXXX`, which the sandbox removes and the run's teardown checks for.
 */
const MAX_RUNROOT_LENGTH = 50;
export const RUNROOT_SUFFIX = ".r-";

function shortRunRoot(): string {
  const runRoot = process.env.MICROPOD_TEST_RUN_ROOT;
  if (!runRoot) throw new Error("run the tests through vitest.config.ts: its globalSetup (test/support/run-root.ts) makes the run's directory");
  const dir = mkdtempSync(`${runRoot}${RUNROOT_SUFFIX}`);
  if (dir.length > MAX_RUNROOT_LENGTH) throw new Error(`podman sandbox runroot ${dir} is longer than ${MAX_RUNROOT_LENGTH} characters: podman 4.3.1 would add 20 s to every wait`);
  return dir;
}

export function createPodmanSandbox(opts: { hooksDir?: string; runtimeName?: string } = {}): PodmanSandbox {
  requireTool("podman", "podman");
  requireTool("runc", "runc");
  // runtimeName: runc registered under another name (podman reports that name as the container's
  // OCIRuntime), for code that behaves differently under ocijail.
  const runtime = opts.runtimeName ?? "runc";
  const runtimes = opts.runtimeName ? `[engine.runtimes]\n${opts.runtimeName} = [${JSON.stringify(which("runc"))}]\n` : "";
  // In the test file's own temp directory, which the run keeps under /var/tmp (test/support/run-root.ts).
  const root = tempDir("podman-");
  for (const d of ["graph", "networks", "tmp"]) mkdirSync(join(root, d), { recursive: true });
  const runRoot = shortRunRoot();
  const hooks = opts.hooksDir ? `hooks_dir = [${JSON.stringify(opts.hooksDir)}]\n` : "";
  writeFileSync(
    join(root, "containers.conf"),
    `[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
[engine]
runtime = ${JSON.stringify(runtime)}
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = ${JSON.stringify(join(root, "events.log"))}
tmp_dir = ${JSON.stringify(join(root, "tmp"))}
image_copy_tmp_dir = ${JSON.stringify(join(root, "tmp"))}
${hooks}${runtimes}[network]
network_config_dir = ${JSON.stringify(join(root, "networks"))}
`,
  );
  writeFileSync(
    join(root, "storage.conf"),
    `[storage]
driver = "vfs"
runroot = ${JSON.stringify(runRoot)}
graphroot = ${JSON.stringify(join(root, "graph"))}
`,
  );
  const env = {
    CONTAINERS_CONF: join(root, "containers.conf"),
    CONTAINERS_STORAGE_CONF: join(root, "storage.conf"),
    TMPDIR: join(root, "tmp"),
  };
  const cleanup = async () => {
    await removeTree(root);
    await removeTree(runRoot);
  };
  deferCleanup(`podman sandbox ${root}`, cleanup);
  const podman = (args: string[], input?: string) =>
    execFileSync("podman", args, { env: { ...process.env, ...env }, input, encoding: "utf8", stdio: ["pipe", "pipe", "pipe"] });
  return {
    root,
    env,
    podman,
    busyboxImage(name = "localhost/busybox:test") {
      requireTool("busybox", "busybox-static");
      const rootfs = join(root, "busybox-rootfs");
      mkdirSync(join(rootfs, "bin"), { recursive: true });
      mkdirSync(join(rootfs, "tmp"), { recursive: true });
      if (!existsSync(join(rootfs, "bin", "busybox"))) {
        copyFileSync(which("busybox"), join(rootfs, "bin", "busybox"));
        const applets = execFileSync(join(rootfs, "bin", "busybox"), ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
        for (const a of applets) if (a !== "busybox") symlinkSync("busybox", join(rootfs, "bin", a));
      }
      const tarball = join(root, "busybox-rootfs.tar");
      execFileSync("tar", ["-C", rootfs, "-cf", tarball, "."]);
      execFileSync("podman", ["import", tarball, name], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
      return name;
    },
    cleanup,
  };
}

function which(tool: string): string {
  return execFileSync("sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).trim();
}
