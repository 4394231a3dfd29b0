import { spawn, spawnSync } from "node:child_process";
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

/** The real CLI as a child process, for tests that act while it runs (signals, timing). */
export interface RunningMicropod {
  readonly pid: number;
  /** Resolves when it exits; `ms` is how long it ran. */
  readonly done: Promise<CliResult & { readonly ms: number }>;
  kill(signal: NodeJS.Signals): void;
}

export function spawnMicropod(args: readonly string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): RunningMicropod {
  const started = Date.now();
  const child = spawn(process.execPath, [resolve(repoRoot, "bin", "micropod.js"), ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: { ...process.env, MICROPOD_ENV: "", MICROPOD_COMPOSE: "", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
  child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
  // A CLI that never ends must not hang the test run: killed at the bound, reported as -1.
  const guard = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
  const done = new Promise<CliResult & { ms: number }>((resolveDone) =>
    child.once("close", (code) => {
      clearTimeout(guard);
      resolveDone({ code: code ?? -1, stdout, stderr, ms: Date.now() - started });
    }),
  );
  return { pid: child.pid!, done, kill: (signal) => void child.kill(signal) };
}
