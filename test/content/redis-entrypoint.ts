import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { deferCleanup } from "../support/cleanup.js";
import { requireTool } from "../support/require-tool.js";

const containerfiles = resolve(import.meta.dirname, "../../containerfiles");

/**
 * The redis image's entrypoint running redis-server for real, like the container's ENTRYPOINT
 * and CMD, with `env` (what compose.yaml gives the service), its configuration rendered into
 * `conf`, on loopback at `port`. Resolves once redis answers PING; stopped when the test file
 * ends (SIGTERM, then its exit awaited).
 */
export async function startRedisEntrypoint(conf: string, port: number, env: Record<string, string>): Promise<ChildProcess> {
  requireTool("redis-server", "redis-server");
  requireTool("redis-cli", "redis-tools");
  mkdirSync(conf);
  // The redis user reads its configuration and writes its data here.
  chmodSync(conf, 0o755);
  const proc = spawn("sh", [join(containerfiles, "redis", "entrypoint.sh"), "redis-server", join(conf, "redis.conf")], {
    env: {
      PATH: process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin",
      ...env,
      MICROPOD_LIBEXEC: join(containerfiles, "base"),
      MICROPOD_TEMPLATES: join(containerfiles, "redis"),
      MICROPOD_CONF_DIR: conf,
      REDIS_DATA_DIR: join(conf, "data"),
      REDIS_BIND: "127.0.0.1",
      REDIS_PORT: String(port),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  deferCleanup(`redis-server on port ${port}`, async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill("SIGTERM");
      await new Promise((r) => proc.once("exit", r));
    }
  });
  let output = "";
  proc.stdout!.on("data", (d) => (output += String(d)));
  proc.stderr!.on("data", (d) => (output += String(d)));
  for (let i = 0; ; i++) {
    const r = spawnSync("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "ping"], { encoding: "utf8" });
    if (r.status === 0 && r.stdout.trim() !== "") return proc;
    if (proc.exitCode !== null || i > 100) throw new Error(`redis did not start within 10 s: ${output}`);
    await new Promise((r2) => setTimeout(r2, 100));
  }
}
