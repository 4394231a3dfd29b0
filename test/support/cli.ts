import { spawnSync } from "node:child_process";
import { resolve } from "node:path";

export const repoRoot = resolve(import.meta.dirname, "..", "..");

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the real CLI (bin/micropod.js over the dist/ that globalSetup compiled). */
export function runMicropod(args: readonly string[], opts: { env?: Record<string, string>; cwd?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [resolve(repoRoot, "bin", "micropod.js"), ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, MICROPOD_ENV: "", MICROPOD_COMPOSE: "", ...opts.env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
