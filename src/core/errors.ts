/**
 * The handful of typed errors micropod raises. Only the entry point (cli.ts) catches them,
 * prints the message and exits with the error's code. Codes are documented in README.md.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  config: 3,
  suite: 4,
  prerequisite: 5,
  commandFailed: 6,
  locked: 7,
  notReady: 8,
  /** `health check`: Sidekiq's state could not be read (Redis refused, no answer, password, loading, unknown layout). */
  unavailable: 9,
  /** `--check` found changes it would make (prepare-host, upgrade). */
  changesPending: 10,
  /** `health check` passed its deadline and stopped. */
  deadline: 11,
  /** `prepare-host --check`: some resources could not be inspected here (not FreeBSD, a tool missing). */
  notInspected: 12,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class MicropodError extends Error {
  readonly exitCode: ExitCodeValue;
  /** Extra lines shown under the message (e.g. the last lines of a log, a list of problems). */
  readonly details: readonly string[];
  constructor(message: string, exitCode: ExitCodeValue = ExitCode.failure, details: readonly string[] = []) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.details = details;
  }
}

export class UsageError extends MicropodError {
  constructor(message: string, details: readonly string[] = []) {
    super(message, ExitCode.usage, details);
  }
}

/** One problem in a configuration or suite file, located as precisely as we can. */
export interface Problem {
  file?: string;
  line?: number;
  /** Variable name or JSON-pointer-like path (`services/web/depends_on`). */
  path?: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  const where = [p.file, p.line !== undefined ? String(p.line) : undefined].filter(Boolean).join(":");
  const head = [where, p.path].filter(Boolean).join(": ");
  return head ? `${head}: ${p.message}` : p.message;
}

export class ConfigError extends MicropodError {
  readonly problems: readonly Problem[];
  constructor(message: string, problems: readonly Problem[]) {
    super(message, ExitCode.config, problems.map(formatProblem));
    this.problems = problems;
  }
}

export class SuiteError extends MicropodError {
  readonly problems: readonly Problem[];
  constructor(message: string, problems: readonly Problem[]) {
    super(message, ExitCode.suite, problems.map(formatProblem));
    this.problems = problems;
  }
}

/** The host lacks something micropod needs; `fix` names the command that fixes it. */
export class PrerequisiteError extends MicropodError {
  constructor(message: string, fix?: string) {
    super(message, ExitCode.prerequisite, fix ? [`fix: ${fix}`] : []);
  }
}

export class CommandFailedError extends MicropodError {
  readonly command: string;
  readonly result: { exitCode: number; stdout: string; stderr: string };
  constructor(command: string, result: { exitCode: number; stdout: string; stderr: string }, details: readonly string[] = []) {
    const tail = lastLines(result.stderr || result.stdout, 20);
    super(`command failed with exit code ${result.exitCode}: ${command}`, ExitCode.commandFailed, [...details, ...tail]);
    this.command = command;
    this.result = result;
  }
}

export class LockError extends MicropodError {
  constructor(message: string) {
    super(message, ExitCode.locked);
  }
}

/** A service did not become ready (healthcheck failed, one-shot exited non-zero, timed out). */
export class NotReadyError extends MicropodError {
  constructor(message: string, details: readonly string[] = []) {
    super(message, ExitCode.notReady, details);
  }
}

export class InterruptedError extends MicropodError {
  constructor(message = "interrupted") {
    super(message, ExitCode.interrupted);
  }
}

export function lastLines(text: string, n: number): string[] {
  const lines = text.replace(/\s+$/, "").split("\n");
  return text.trim() === "" ? [] : lines.slice(-n);
}
