import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "../../src/core/command.js";
import { ExecaRunner, type RunOptions, type RunResult, type Runner } from "../../src/core/runner.js";
import type { PodmanSandbox } from "../support/podman-env.js";

/** Real podman in the sandbox: every command gets sandbox.env; every command run is recorded. */
export class SandboxRunner implements Runner {
  readonly commands: Command[] = [];
  private readonly inner = new ExecaRunner();
  constructor(private readonly sandbox: PodmanSandbox) {}
  run(c: Command, opts?: RunOptions): Promise<RunResult> {
    this.commands.push(c);
    return this.inner.run({ ...c, env: { ...this.sandbox.env, ...(c.env ?? {}) } }, opts);
  }
  argvs(): string[] {
    return this.commands.map((c) => c.argv.join(" "));
  }
}

/** Write a build context: a Containerfile FROM the sandbox's busybox image, plus files. */
export function context(root: string, name: string, files: Record<string, string> = {}, extra = ""): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "Containerfile"), `FROM localhost/busybox:test\n${extra}`);
  for (const [f, content] of Object.entries(files)) writeFileSync(join(dir, f), content);
  return dir;
}

export const tempDir = (prefix: string) => mkdtempSync(join("/var/tmp", prefix));

/** Every process command line on the machine right now that contains `needle`. */
export function cmdlinesContaining(needle: string): string[] {
  const hits: string[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const line = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
      if (line.includes(needle)) hits.push(`${pid}: ${line}`);
    } catch {
      /* the process ended while we looked */
    }
  }
  return hits;
}
