import { type ChildProcess, spawn } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { requireTool } from "../support/require-tool.js";
import { freePort } from "../support/free-port.js";
import { deferCleanup, once } from "../support/cleanup.js";
import { tempDir } from "../support/temp.js";

/** A real Alertmanager (Debian's prometheus-alertmanager) on a free loopback port, routing to nowhere. */
export interface AlertmanagerServer {
  readonly port: number;
  /** The alerts it holds, as its v2 API serves them. */
  alerts(): Promise<ServedAlert[]>;
  stop(): Promise<void>;
}

export interface ServedAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly status: { readonly state: string };
  readonly startsAt: string;
  readonly endsAt: string;
}

export async function startAlertmanager(): Promise<AlertmanagerServer> {
  requireTool("prometheus-alertmanager", "prometheus-alertmanager");
  const dir = tempDir("micropod-alertmanager-");
  writeFileSync(join(dir, "alertmanager.yml"), 'route:\n  receiver: "null"\nreceivers:\n  - name: "null"\n');
  const port = await freePort();
  const proc: ChildProcess = spawn(
    "prometheus-alertmanager",
    [`--config.file=${join(dir, "alertmanager.yml")}`, `--storage.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`, "--cluster.listen-address="],
    { stdio: "ignore" },
  );
  const stop = once(async () => {
    if (proc.exitCode === null) {
      proc.kill("SIGTERM");
      await new Promise((r) => proc.once("exit", r));
    }
    rmSync(dir, { recursive: true, force: true });
  });
  deferCleanup(`alertmanager on port ${port}`, stop);
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/-/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 100) {
      await stop();
      throw new Error("Alertmanager did not become ready");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    alerts: async () => (await (await fetch(`http://127.0.0.1:${port}/api/v2/alerts`)).json()) as ServedAlert[],
    stop,
  };
}
