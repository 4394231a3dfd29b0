import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { tempDir } from "./temp.js";

export const repoRoot = resolve(import.meta.dirname, "..", "..");

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** Run the micropod installed here (see installedCopy) instead of the repository's. */
  readonly packageDir?: string;
}

/**
 * The environment of a CLI under test: the test's own, without a MICROPOD_ENV or
 * MICROPOD_COMPOSE of the shell that started the tests. MICROPOD_CONFIG_DIR, which the run sets
 * to an empty directory (test/support/run-root.ts), stays: no CLI run reads the machine's
 * /usr/local/etc/micropod.
 */
const cliEnv = (env: Record<string, string> = {}) => ({ ...process.env, MICROPOD_ENV: "", MICROPOD_COMPOSE: "", ...env });

/** Run the real CLI (bin/micropod.js over the dist/ that globalSetup compiled). */
export function runMicropod(args: readonly string[], opts: CliOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [resolve(opts.packageDir ?? repoRoot, "bin", "micropod.js"), ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: cliEnv(opts.env),
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/**
 * micropod as installed somewhere else (a copy of bin/, dist/, package.json and sample.env, the
 * bundled suite and node_modules linked), with sample.env's lines `NAME=...` replaced by
 * `sampleValues`. What `plan` reads when it falls back to the bundled sample is then this copy's
 * sample: the tests of that fallback need not read the machine's /var/db/micropod, which is the
 * real sample's DATA_DIR. dist/ is copied, not linked: Node resolves a module's symlinks, and the
 * package root is found from dist/'s real location.
 */
export function installedCopy(sampleValues: Record<string, string>): string {
  const dir = tempDir("micropod-installed-");
  mkdirSync(join(dir, "bin"));
  copyFileSync(join(repoRoot, "bin", "micropod.js"), join(dir, "bin", "micropod.js"));
  cpSync(join(repoRoot, "dist"), join(dir, "dist"), { recursive: true });
  copyFileSync(join(repoRoot, "package.json"), join(dir, "package.json"));
  for (const linked of ["node_modules", "containerfiles"]) symlinkSync(join(repoRoot, linked), join(dir, linked));
  let sample = readFileSync(join(repoRoot, "sample.env"), "utf8");
  for (const [k, v] of Object.entries(sampleValues)) {
    const line = new RegExp(`^${k}=.*$`, "m");
    if (!line.test(sample)) throw new Error(`sample.env has no ${k}= line`);
    sample = sample.replace(line, `${k}=${v}`);
  }
  writeFileSync(join(dir, "sample.env"), sample);
  return dir;
}

/** The real CLI as a child process, for tests that act while it runs (signals, timing). */
export interface RunningMicropod {
  readonly pid: number;
  /** Resolves when it exits; `ms` is how long it ran. */
  readonly done: Promise<CliResult & { readonly ms: number }>;
  kill(signal: NodeJS.Signals): void;
}

export function spawnMicropod(args: readonly string[], opts: CliOptions & { timeoutMs?: number } = {}): RunningMicropod {
  const started = Date.now();
  const child = spawn(process.execPath, [resolve(opts.packageDir ?? repoRoot, "bin", "micropod.js"), ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: cliEnv(opts.env),
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
