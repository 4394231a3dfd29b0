import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, openSync } from "node:fs";
import { join } from "node:path";
import { deferCleanup } from "./cleanup.js";
import type { PodmanSandbox } from "./podman-env.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A "host" for placement tests: `podman system service` over a sandbox's own storage and
 * configuration, listening on a unix socket in the sandbox (the URL `podman --url` takes:
 * containers/podman docs/source/markdown/podman-system-service.1.md, `unix:///path`). `--time 0`
 * keeps it up until it is stopped. Stopped when the test file ends, before its sandbox goes
 * (cleanups run newest first): its containers removed, then the service ended with a deadline.
 */
export interface PodmanService {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startPodmanService(sb: PodmanSandbox, deadlineMs = 30_000): Promise<PodmanService> {
  const socket = join(sb.root, "podman.sock");
  const url = `unix://${socket}`;
  const log = openSync(join(sb.root, "service.log"), "a");
  const child: ChildProcess = spawn("podman", ["system", "service", "--time", "0", url], { env: { ...process.env, ...sb.env }, stdio: ["ignore", log, log] });
  let exited = false;
  child.on("exit", () => (exited = true));
  const stop = async () => {
    if (exited) return;
    try {
      sb.podman(["--url", url, "rm", "--all", "--force", "--time", "0"]);
    } finally {
      child.kill("SIGTERM");
      const until = Date.now() + 10_000;
      while (!exited && Date.now() < until) await sleep(50);
      if (!exited) child.kill("SIGKILL");
      const killed = Date.now() + 5_000;
      while (!exited && Date.now() < killed) await sleep(50);
    }
  };
  deferCleanup(`podman service ${url}`, stop);
  const until = Date.now() + deadlineMs;
  while (!existsSync(socket) && !exited && Date.now() < until) await sleep(50);
  if (!existsSync(socket)) throw new Error(`podman system service did not listen on ${socket} within ${deadlineMs} ms (see ${join(sb.root, "service.log")})`);
  return { url, stop };
}
