import { execa } from "execa";
import { type Command, isReadOnly, renderCommand } from "./command.js";
import { CommandFailedError } from "./errors.js";
import type { Redactor } from "./redact.js";

export interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The program itself was not found (spawn ENOENT): nothing ran. */
  readonly notFound?: boolean;
}

export interface RunOptions {
  /** Return the result instead of throwing when the exit code is not 0. */
  readonly allowFailure?: boolean;
  readonly timeoutMs?: number;
  /** Aborting kills the process (SIGTERM) and the run rejects. */
  readonly signal?: AbortSignal;
  /** Append stdout and stderr to this file as they arrive (build logs). */
  readonly logFile?: string;
  /**
   * Never killed, not even by the second Ctrl-C: a command that leaves a half-made object behind
   * when cut (a `podman create` killed midway can leave a storage container whose name blocks the
   * next create: containers/podman#7941). It ends by itself within a second; it runs in its own
   * process group, so it finishes even when micropod has quit.
   */
  readonly uncut?: boolean;
  /**
   * Where the output goes. "collect" (the default): into the result. "terminal": the caller's
   * stdin, stdout and stderr, in micropod's own process group so that an interactive program
   * owns the terminal and gets its Ctrl-C (exec, tootctl). A function: each line as it arrives,
   * redacted (logs --follow). With either of the last two the result's stdout and stderr are empty.
   */
  readonly output?: "collect" | "terminal" | LineSink;
}

export type LineSink = (line: string, stream: "stdout" | "stderr") => void;

export interface Runner {
  run(c: Command, opts?: RunOptions): Promise<RunResult>;
}

/** Commands under way, for the second Ctrl-C: detached children do not die with us by themselves. */
const running = new Set<{ kill(signal?: NodeJS.Signals): boolean }>();

/** Kill every command the runners have under way (the user insisted: quit now). */
export function killRunningCommands(): void {
  for (const child of running) child.kill("SIGKILL");
}

/**
 * Runs commands for real, through execa, never through a shell. Each command runs in its own
 * process group (`detached`), so the terminal's Ctrl-C reaches micropod alone: micropod decides,
 * through the AbortSignal, which command to stop, and a `podman create` or `start` under way
 * finishes instead of being cut in half.
 */
export class ExecaRunner implements Runner {
  constructor(private readonly redactor?: Redactor) {}

  async run(c: Command, opts: RunOptions = {}): Promise<RunResult> {
    const [file, ...args] = c.argv as [string, ...string[]];
    const terminal = opts.output === "terminal";
    const sink = opts.logFile ? (["pipe", { file: opts.logFile, append: true }] as const) : ("pipe" as const);
    const child = execa(file, args, {
      env: c.env ? { ...c.env } : undefined,
      extendEnv: true,
      input: c.input,
      stdin: terminal ? "inherit" : c.input === undefined ? "ignore" : undefined,
      cwd: c.cwd,
      reject: false,
      stripFinalNewline: false,
      timeout: opts.timeoutMs,
      cancelSignal: opts.signal,
      stdout: terminal ? "inherit" : sink,
      stderr: terminal ? "inherit" : sink,
      buffer: opts.output === undefined || opts.output === "collect",
      encoding: "utf8",
      detached: !terminal,
    });
    if (typeof opts.output === "function") forwardLines(child, opts.output, this.redactor);
    if (!opts.uncut) running.add(child);
    const r = await child.finally(() => running.delete(child));
    // A command cut by its timeout or the signal has failed, whatever it exited with: `podman
    // exec` catches the SIGTERM and exits 0, which made a probe cut by its timeout look passed.
    const cut = r.timedOut || r.isCanceled;
    const result: RunResult = {
      exitCode: cut ? 128 + 15 : (r.exitCode ?? (r.signal ? 128 + 15 : 1)),
      stdout: String(r.stdout ?? ""),
      stderr: r.failed && (cut || r.exitCode === undefined) ? `${String(r.stderr ?? "")}${r.shortMessage ?? ""}` : String(r.stderr ?? ""),
      ...(r.failed && (r as { code?: string }).code === "ENOENT" ? { notFound: true } : {}),
    };
    if (result.exitCode !== 0 && !opts.allowFailure) {
      throw new CommandFailedError(renderCommand(c, this.redactor), redactResult(result, this.redactor));
    }
    return result;
  }
}

/** Hands a child's output to `sink` line by line (a secret is never split across two calls), redacted. */
function forwardLines(child: { stdout: NodeJS.ReadableStream | null; stderr: NodeJS.ReadableStream | null }, sink: LineSink, redactor?: Redactor): void {
  for (const stream of ["stdout", "stderr"] as const) {
    let pending = "";
    const emit = (line: string) => sink(redactor ? redactor.redact(line) : line, stream);
    child[stream]?.setEncoding("utf8");
    child[stream]?.on("data", (chunk: string) => {
      const lines = (pending + chunk).split("\n");
      pending = lines.pop()!;
      for (const line of lines) emit(`${line}\n`);
    });
    child[stream]?.on("end", () => pending && emit(pending));
  }
}

/** A result with every known secret masked: what a CommandFailedError may carry. */
export function redactResult(r: RunResult, redactor?: Redactor): RunResult {
  if (!redactor) return r;
  return { exitCode: r.exitCode, stdout: redactor.redact(r.stdout), stderr: redactor.redact(r.stderr) };
}

/**
 * Prints every changing command instead of running it (plan, --dry-run, --check). Read-only
 * commands go to `inspector` when one is given, so a check can still look at the host.
 */
export class PrintingRunner implements Runner {
  readonly printed: string[] = [];

  constructor(
    private readonly print: (line: string) => void,
    private readonly opts: { redactor?: Redactor; inspector?: Runner } = {},
  ) {}

  async run(c: Command, opts: RunOptions = {}): Promise<RunResult> {
    if (isReadOnly(c) && this.opts.inspector) return this.opts.inspector.run(c, opts);
    const line = renderCommand(c, this.opts.redactor);
    this.printed.push(line);
    this.print(line);
    return { exitCode: 0, stdout: "", stderr: "" };
  }
}
