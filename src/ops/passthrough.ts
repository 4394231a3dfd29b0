import type { Command } from "../core/command.js";
import type { LineSink } from "../core/runner.js";
import { commandFor } from "../engine/placement.js";
import { execInteractive } from "../podman/container.js";
import type { OpsContext } from "./context.js";
import { requireRunning } from "./running.js";
import { roleServiceName } from "../suite/roles.js";

/** Mastodon's admin CLI, relative to the template image's working directory (the Mastodon tree). */
export const tootctl = ["bin/tootctl"] as const;

export interface ExecOptions {
  /** Allocate a TTY (default: when standard input is one). */
  readonly tty?: boolean;
  readonly user?: string;
  /** Where the command's output goes (default: the caller's terminal, stdin included). */
  readonly output?: "terminal" | LineSink;
}

/**
 * `micropod exec SERVICE -- CMD...`: the command runs inside the service's container, so it sees
 * the environment the suite gave that container (plain variables and podman env secrets alike)
 * without micropod ever putting a secret in argv.
 */
export async function execCommand(ctx: Pick<OpsContext, "runner" | "suite">, service: string, argv: readonly string[], opts: ExecOptions = {}): Promise<Command> {
  const container = await requireRunning(ctx.runner, ctx.suite, service);
  return commandFor(ctx.suite, service, execInteractive(container, argv, { tty: opts.tty ?? Boolean(process.stdin.isTTY), ...(opts.user ? { user: opts.user } : {}) }));
}

export async function execService(
  ctx: Pick<OpsContext, "runner" | "suite" | "logger">,
  service: string,
  argv: readonly string[],
  opts: ExecOptions = {},
): Promise<number> {
  const c = await execCommand(ctx, service, argv, opts);
  ctx.logger.debug({ service, argv }, "exec");
  return (await ctx.runner.run(c, { output: opts.output ?? "terminal", allowFailure: true })).exitCode;
}

/** `micropod tootctl ARGS...`: tootctl in the container of the web role. */
export function runTootctl(ctx: Pick<OpsContext, "runner" | "suite" | "logger">, args: readonly string[], opts: ExecOptions = {}): Promise<number> {
  return execService(ctx, roleServiceName(ctx.suite, "web"), [...tootctl, ...args], opts);
}
