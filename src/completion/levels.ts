import { allCommands, type CommandSpec, type OptionSpec, type ArgumentValue } from "./command-tree.js";

/**
 * What a shell offers after each command path: the verbs below it, its options (the program's
 * own included, since commander accepts them after any verb), which options take a value, and
 * what the positional arguments are. Both the bash and the zsh script are a table of these.
 */
export interface Level {
  /** The command path joined by single spaces: "" for `micropod` itself, "health check". */
  readonly key: string;
  readonly subcommands: ReadonlyArray<{ name: string; description: string }>;
  readonly options: ReadonlyArray<{ name: string; description: string }>;
  /** Option names that take a value: the next word is that value, not a verb. */
  readonly valued: readonly string[];
  readonly fileValued: readonly string[];
  readonly dirValued: readonly string[];
  /** What the positional arguments are, when they are file-system paths. */
  readonly args: ArgumentValue;
}

const names = (opts: readonly OptionSpec[], pick: (o: OptionSpec) => boolean) => opts.filter(pick).flatMap((o) => o.names);

export function completionLevels(root: CommandSpec): Level[] {
  return allCommands(root).map((cmd) => {
    // The program's options work after any verb, unless the verb has its own of that name
    // (`status --json`). Its -h/--help does not: each verb has its own (or none, like tootctl,
    // whose arguments all pass through).
    const own = new Set(cmd.options.flatMap((o) => o.names));
    const inherited = cmd === root ? [] : root.options.filter((g) => !g.names.includes("--help") && !g.names.some((n) => own.has(n)));
    const options = [...cmd.options, ...inherited];
    return {
      key: cmd.path.join(" "),
      subcommands: cmd.subcommands.map((s) => ({ name: s.path[s.path.length - 1]!, description: s.description })),
      options: options.flatMap((o) => o.names.map((name) => ({ name, description: o.description }))),
      valued: names(options, (o) => o.takesValue),
      fileValued: names(options, (o) => o.value === "file"),
      dirValued: names(options, (o) => o.value === "dir"),
      args: cmd.args.find((a) => a.value !== "none")?.value ?? "none",
    };
  });
}

/** A word in single quotes, safe in both bash and zsh. */
export const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
