// An isolated podman for the benchmark (the same configuration as test/support/podman-env.ts:
// private storage, run root, networks and containers.conf; runc, cgroupfs, lowered ulimits), so a
// benchmark never touches the machine's podman state. Sets CONTAINERS_CONF/CONTAINERS_STORAGE_CONF
// in process.env, so every podman the engine's runner starts inherits them, unless `exportEnv` is
// false: then `env` holds them, for a second sandbox served by `podman system service`.
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export function podmanSandbox({ exportEnv = true } = {}) {
  const root = mkdtempSync("/var/tmp/micropod-bench-");
  for (const d of ["graph", "run", "networks", "tmp", "rootfs/bin", "rootfs/tmp"]) mkdirSync(join(root, d), { recursive: true });
  writeFileSync(
    join(root, "containers.conf"),
    `[containers]\ndefault_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nevents_logfile_path = ${JSON.stringify(join(root, "events.log"))}\ntmp_dir = ${JSON.stringify(join(root, "tmp"))}\n[network]\nnetwork_config_dir = ${JSON.stringify(join(root, "networks"))}\n`,
  );
  writeFileSync(join(root, "storage.conf"), `[storage]\ndriver = "vfs"\nrunroot = ${JSON.stringify(join(root, "run"))}\ngraphroot = ${JSON.stringify(join(root, "graph"))}\n`);
  const env = { CONTAINERS_CONF: join(root, "containers.conf"), CONTAINERS_STORAGE_CONF: join(root, "storage.conf") };
  const before = { CONTAINERS_CONF: process.env.CONTAINERS_CONF, CONTAINERS_STORAGE_CONF: process.env.CONTAINERS_STORAGE_CONF };
  if (exportEnv) Object.assign(process.env, env);
  const withEnv = { env: { ...process.env, ...env } };
  const busybox = execFileSync("sh", ["-c", "command -v busybox"], { encoding: "utf8" }).trim();
  const rootfs = join(root, "rootfs");
  copyFileSync(busybox, join(rootfs, "bin", "busybox"));
  for (const a of execFileSync(busybox, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean)) {
    if (a !== "busybox" && !existsSync(join(rootfs, "bin", a))) symlinkSync("busybox", join(rootfs, "bin", a));
  }
  execFileSync("podman", ["import", "-", "localhost/busybox:bench"], { input: execFileSync("tar", ["-C", rootfs, "-c", "."], { maxBuffer: 64 << 20 }), stdio: ["pipe", "ignore", "ignore"], ...withEnv });
  return {
    root,
    env,
    image: "localhost/busybox:bench",
    cleanup() {
      try {
        execFileSync("podman", ["rm", "--all", "--force", "--time", "0"], { stdio: "ignore", ...withEnv });
        execFileSync("podman", ["system", "reset", "--force"], { stdio: "ignore", ...withEnv });
      } catch {
        /* the directory removal is what matters */
      }
      rmSync(root, { recursive: true, force: true });
      // The next section gets the machine's podman back, not this removed sandbox.
      if (!exportEnv) return;
      for (const [k, v] of Object.entries(before)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    },
  };
}

/**
 * `podman system service` over a sandbox's storage, on a unix socket in the sandbox (as FreeBSD's
 * podman_service rc script serves /var/run/podman/podman.sock); `--time 0` keeps it up until
 * stopped. Resolves once the socket exists (30 s deadline); `stop()` ends it (SIGKILL after 10 s).
 */
export async function podmanService(sb) {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const socket = join(sb.root, "podman.sock");
  const service = spawn("podman", ["system", "service", "--time", "0", `unix://${socket}`], { stdio: "ignore", env: { ...process.env, ...sb.env } });
  let exited = false;
  service.on("exit", () => (exited = true));
  const stop = async () => {
    service.kill("SIGTERM");
    const deadline = Date.now() + 10_000;
    while (!exited && Date.now() < deadline) await sleep(50);
    if (!exited) service.kill("SIGKILL");
  };
  const until = Date.now() + 30_000;
  while (!existsSync(socket) && !exited && Date.now() < until) await sleep(50);
  if (!existsSync(socket)) {
    await stop();
    throw new Error("podman system service did not listen within 30 s");
  }
  return { socket, stop };
}
