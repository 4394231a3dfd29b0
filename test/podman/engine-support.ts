import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "../../src/core/command.js";
import { ExecaRunner, type RunOptions, type RunResult, type Runner } from "../../src/core/runner.js";
import type { PodmanSandbox } from "../support/podman-env.js";

/**
 * Real podman in the sandbox: every command gets sandbox.env; every command run is recorded, and
 * so is the order in which commands began and ended (`events`), which shows what ran side by side
 * without measuring time.
 */
export class SandboxRunner implements Runner {
  readonly commands: Command[] = [];
  readonly events: string[] = [];
  private readonly inner = new ExecaRunner();
  constructor(private readonly sandbox: PodmanSandbox) {}
  async run(c: Command, opts?: RunOptions): Promise<RunResult> {
    this.commands.push(c);
    const line = c.argv.join(" ");
    this.events.push(`begin ${line}`);
    try {
      return await this.inner.run({ ...c, env: { ...this.sandbox.env, ...(c.env ?? {}) } }, opts);
    } finally {
      this.events.push(`end ${line}`);
    }
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

/** What a test waits to see running: one implementation, in remove-tree.ts beside its other /proc reader. */
export { cmdlinesContaining } from "../support/remove-tree.js";
