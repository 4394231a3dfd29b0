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
  /** `status --timeline`: no start has been recorded yet (or the record is of another version). */
  noRecord: 13,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class MicropodError extends Error {
  readonly exitCode: ExitCodeValue;
  /** Extra lines shown under the message (e.g. the last lines of a log, a list of problems). */
  readonly details: readonly string[];
  private nextStep?: string;
  constructor(message: string, exitCode: ExitCodeValue = ExitCode.failure, details: readonly string[] = []) {
    super(message);
    this.name = new.target.name;
    this.exitCode = exitCode;
    this.details = details;
  }

  /**
   * What the user does next: the command that fixes the problem or shows more, printed last
   * (`next: ...`). The first one given stays: the code nearest the problem knows it best.
   */
  withNext(step: string): this {
    this.nextStep ??= step;
    return this;
  }

  /** The next step given, or the error kind's own; undefined when there is none to suggest. */
  get next(): string | undefined {
    return this.nextStep ?? this.defaultNext();
  }

  protected defaultNext(): string | undefined {
    return undefined;
  }
}

/** What the CLI prints for an error: the message, its details indented, the next step last. */
export function errorLines(err: MicropodError): string[] {
  const next = err.next;
  return [`micropod: ${err.message}`, ...err.details.map((d) => `  ${d}`), ...(next ? [`  next: ${next}`] : [])];
}

/** The first file a list of problems names (where to look first). */
const firstFile = (problems: readonly Problem[]): string | undefined => problems.find((p) => p.file)?.file;

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

  protected override defaultNext(): string {
    const file = firstFile(this.problems);
    return file
      ? `edit ${file} at the lines above (sample.env documents each variable), then check it with \`micropod plan --env ${file}\``
      : "fix the configuration as said above, then check it with `micropod plan`";
  }
}

export class SuiteError extends MicropodError {
  readonly problems: readonly Problem[];
  constructor(message: string, problems: readonly Problem[]) {
    super(message, ExitCode.suite, problems.map(formatProblem));
    this.problems = problems;
  }

  protected override defaultNext(): string {
    const file = firstFile(this.problems);
    // A variable the suite requires is missing: the fix is in the .env, not in the compose file.
    if (this.problems.length && this.problems.every((p) => p.message.startsWith("required variable"))) {
      return "set the variables named above in the .env file (see sample.env), then check it with `micropod plan --env FILE`";
    }
    return file
      ? `edit ${file} at the lines above, then check it with \`micropod plan --compose ${file}\``
      : "fix the suite as said above, then check it with `micropod plan`";
  }
}

/** The host lacks something micropod needs; `fix` names the command that fixes it. */
export class PrerequisiteError extends MicropodError {
  constructor(message: string, fix?: string) {
    super(message, ExitCode.prerequisite, fix ? [`fix: ${fix}`] : []);
  }

  protected override defaultNext(): string {
    return "`micropod doctor` checks the host and names the command that fixes each finding; `micropod prepare-host --check` shows what preparing the host would change";
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

  protected override defaultNext(): string {
    return "`micropod status` shows each service's state; `micropod logs SERVICE` what it wrote";
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
