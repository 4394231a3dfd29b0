import { REDACTED, type Redactor } from "./redact.js";

/**
 * Every external action micropod takes is a Command value built by a pure function.
 * The Runner executes it (never through a shell); the printing runner shows it.
 */
export interface Command {
  /** Program and arguments; argv[0] is looked up on PATH. */
  readonly argv: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Written to the program's standard input. */
  readonly input?: string;
  readonly cwd?: string;
  /** Which fields carry secrets; these are masked whenever the command is rendered. */
  readonly secret?: {
    readonly argv?: readonly number[];
    readonly env?: readonly string[];
    readonly input?: boolean;
  };
  /**
   * False for read-only inspection commands (`zfs list`, `podman inspect`): those may run even
   * in check mode / plan mode. Defaults to true: anything not declared read-only changes state.
   */
  readonly mutates?: boolean;
}

export function command(argv: readonly string[], opts: Omit<Command, "argv"> = {}): Command {
  if (argv.length === 0 || !argv[0]) throw new Error("a command needs a program name");
  return { argv: [...argv], ...opts };
}

/** A read-only command: safe to run while planning or checking. */
export function inspect(argv: readonly string[], opts: Omit<Command, "argv" | "mutates"> = {}): Command {
  return command(argv, { ...opts, mutates: false });
}

export function isReadOnly(c: Command): boolean {
  return c.mutates === false;
}

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** POSIX-shell quoting, for display only: commands are never run through a shell. */
export function shellQuote(word: string): string {
  if (word !== "" && SAFE.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * Render a command as one line a person could paste into sh. Secret argv positions and env
 * values are masked; a redactor, when given, masks any known secret value anywhere else.
 */
export function renderCommand(c: Command, redactor?: Redactor): string {
  const secretArgs = new Set(c.secret?.argv ?? []);
  const secretEnv = new Set(c.secret?.env ?? []);
  const env = Object.entries(c.env ?? {}).map(([k, v]) => `${k}=${shellQuote(secretEnv.has(k) ? REDACTED : v)}`);
  const args = c.argv.map((a, i) => shellQuote(secretArgs.has(i) ? REDACTED : a));
  let line = [...env, ...args].join(" ");
  if (c.input !== undefined) line += c.secret?.input ? ` <<< ${REDACTED}` : " <<< (stdin)";
  return redactor ? redactor.redact(line) : line;
}
