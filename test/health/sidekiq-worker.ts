import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { PodmanSandbox } from "../support/podman-env.js";
import { requireTool } from "../support/require-tool.js";

const appDir = join(dirname(fileURLToPath(import.meta.url)), "fixtures");

/**
 * A real Sidekiq (Debian's ruby-sidekiq) in a podman container on the host's userland
 * (`--rootfs /:O`), host network so it reaches the loopback Redis, tagged with its container
 * name exactly as the suite runs it.
 */
export function startWorker(sandbox: PodmanSandbox, name: string, redisUrl: string, queue: string, opts: { concurrency?: number; shutdownTimeout?: number } = {}): void {
  requireTool("sidekiq", "ruby-sidekiq");
  sandbox.podman([
    "run", "--detach", "--name", name, "--network", "host",
    "--volume", `${appDir}:/app:ro`, "--env", `REDIS_URL=${redisUrl}`,
    "--rootfs", "/:O",
    "sidekiq", "-r", "/app/app.rb", "-q", queue,
    "-c", String(opts.concurrency ?? 2), "-g", name, "-t", String(opts.shutdownTimeout ?? 2),
  ]);
}

export function startedAt(sandbox: PodmanSandbox, name: string): string {
  return sandbox.podman(["container", "inspect", "--format", "{{.State.StartedAt}}", name]).trim();
}

export function job(className: string, queue: string, args: unknown[] = []): string {
  const now = Date.now() / 1000;
  const jid = Math.random().toString(16).slice(2, 14);
  return JSON.stringify({ class: className, args, queue, jid, retry: false, created_at: now, enqueued_at: now });
}
