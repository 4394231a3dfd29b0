import { Command as Program, CommanderError } from "commander";
import { rmSync } from "node:fs";
import { commands } from "./commands/index.js";
import { interruptNote } from "./commands/interrupts.js";
import type { Context } from "./core/context.js";
import { systemClock } from "./core/clock.js";
import { ExitCode, InterruptedError, MicropodError, errorLines } from "./core/errors.js";
import { heldLockPaths } from "./core/lock.js";
import { createLogger } from "./core/logger.js";
import { Redactor } from "./core/redact.js";
import { ExecaRunner, killRunningCommands } from "./core/runner.js";
import { podmanRunner } from "./podman/api-socket.js";

export interface GlobalOptions {
  readonly json?: boolean;
  readonly verbose?: boolean;
}

/**
 * The whole command line: global options and every verb. Registering calls no `context()`, so
 * the completion scripts and the man page test read the same definitions `main` runs.
 */
export function createProgram(context: () => Context): Program {
  const program = new Program("micropod")
    .description("Run a Mastodon suite on podman on FreeBSD")
    .option("--json", "JSON: log lines, and the result of plan/status/health status (logs default to JSON when stderr is not a terminal)")
    .option("-v, --verbose", "debug logging and stack traces")
    .exitOverride()
    .showHelpAfterError();
  for (const register of commands) register(program, context);
  return program;
}

/**
 * Entry point: wire commander, run one verb, map errors to exit codes. The only place that
 * catches errors; verbs throw typed MicropodErrors.
 */
export async function main(argv: readonly string[]): Promise<number> {
  const abort = new AbortController();
  const redactor = new Redactor();
  const globals = () => program.opts<GlobalOptions>();
  let ctx: Context | undefined;
  const context = (): Context => {
    if (ctx) return ctx;
    const g = globals();
    const logger = createLogger({ json: g.json ? true : undefined, level: g.verbose ? "debug" : "info", redactor });
    ctx = {
      // podman's REST API for the hot-path commands when its socket answers, else the CLI (issue 12).
      runner: podmanRunner(new ExecaRunner(redactor), { logger, redactor }),
      logger,
      redactor,
      clock: systemClock,
      out: (text) => process.stdout.write(text.endsWith("\n") ? text : `${text}\n`),
      signal: abort.signal,
    };
    return ctx;
  };

  const program = createProgram(context);
  // The verb about to run, for the Ctrl-C message: what the first Ctrl-C does differs per verb.
  let verb: string | undefined;
  program.hook("preAction", (_program, action) => {
    const path: string[] = [];
    for (let c: Program | null = action; c && c !== program; c = c.parent) path.unshift(c.name());
    verb = path.join(" ");
  });

  const onSignal = (sig: NodeJS.Signals) => {
    if (abort.signal.aborted) {
      // Second Ctrl-C: the user insists. Locks must not outlive us even then.
      killRunningCommands();
      for (const p of heldLockPaths()) rmSync(p, { force: true });
      process.exit(ExitCode.interrupted);
    }
    process.stderr.write(`\nmicropod: ${sig} received: ${interruptNote(verb)} (Ctrl-C again to quit at once)\n`);
    // The reason is what every wait rethrows: an InterruptedError exits 130 whichever path sees it.
    abort.abort(new InterruptedError(`interrupted by ${sig}`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    await program.parseAsync([...argv]);
    return ExitCode.ok;
  } catch (err) {
    return report(err, globals().verbose ?? false, redactor);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

function report(err: unknown, verbose: boolean, redactor: Redactor): number {
  if (err instanceof CommanderError) {
    // Asked-for help and version are not failures. `commander.help` is commander showing help
    // because no verb was given (`micropod`, `micropod health`): a crontab line missing its verb
    // must not pass for a successful run.
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return ExitCode.ok;
    return ExitCode.usage;
  }
  if (err instanceof MicropodError) {
    const lines = errorLines(err);
    if (verbose && err.stack) lines.push(err.stack);
    process.stderr.write(`${redactor.redact(lines.join("\n"))}\n`);
    return err.exitCode;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  process.stderr.write(`${redactor.redact(`micropod: unexpected error: ${e.message}${verbose && e.stack ? `\n${e.stack}` : "\n  (run with --verbose for the stack trace)"}`)}\n`);
  return ExitCode.failure;
}
