import { execa } from "execa";
import type { Command } from "../core/command.js";
import { execInteractive } from "../podman/container.js";
import type { OpsContext } from "./context.js";
import { requireRunning } from "./running.js";
import { roleServiceName } from "../suite/roles.js";

/** Runs a command with the caller's terminal attached and returns its exit code. */
export interface Passthrough {
  run(c: Command): Promise<number>;
}

export const terminalPassthrough: Passthrough = {
  async run(c) {
    const [file, ...args] = c.argv as [string, ...string[]];
    const r = await execa(file, args, { env: c.env ? { ...c.env } : undefined, stdio: "inherit", reject: false });
    return r.exitCode ?? 128 + 15;
  },
};

/** Mastodon's admin CLI, relative to the template image's working directory (the Mastodon tree). */
export const tootctl = ["bin/tootctl"] as const;

export interface ExecOptions {
  /** Allocate a TTY (default: when standard input is one). */
  readonly tty?: boolean;
  readonly user?: string;
}

/**
 * `micropod exec SERVICE -- CMD...`: the command runs inside the service's container, so it sees
 * the environment the suite gave that container (plain variables and podman env secrets alike)
 * without micropod ever putting a secret in argv.
 */
export async function execCommand(ctx: Pick<OpsContext, "runner" | "suite">, service: string, argv: readonly string[], opts: ExecOptions = {}): Promise<Command> {
  const container = await requireRunning(ctx.runner, ctx.suite, service);
  return execInteractive(container, argv, { tty: opts.tty ?? Boolean(process.stdin.isTTY), ...(opts.user ? { user: opts.user } : {}) });
}

export async function execService(
  ctx: Pick<OpsContext, "runner" | "suite" | "logger">,
  io: Passthrough,
  service: string,
  argv: readonly string[],
  opts: ExecOptions = {},
): Promise<number> {
  const c = await execCommand(ctx, service, argv, opts);
  ctx.logger.debug({ service, argv }, "exec");
  return io.run(c);
}

/** `micropod tootctl ARGS...`: tootctl in the container of the web role. */
export function runTootctl(ctx: Pick<OpsContext, "runner" | "suite" | "logger">, io: Passthrough, args: readonly string[], opts: ExecOptions = {}): Promise<number> {
  return execService(ctx, io, roleServiceName(ctx.suite, "web"), [...tootctl, ...args], opts);
}
