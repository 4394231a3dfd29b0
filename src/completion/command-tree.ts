import { type Command as Program, Help, type Option } from "commander";

/**
 * The command line as data, read from commander's own definitions: what the completion scripts
 * are generated from and what the man page test checks the manual against. Hidden options
 * (commander's `hideHelp()`) stay hidden here too.
 */

/** How a shell completes a value: file names, directory names, or not at all. */
export type ArgumentValue = "file" | "dir" | "none";

export interface OptionSpec {
  /** Every spelling, short first: ["-j", "--jobs"]. */
  readonly names: readonly string[];
  readonly description: string;
  /** Whether the option takes a value (`--env <file>`); its words are then skipped when finding the verb. */
  readonly takesValue: boolean;
  /** The value's placeholder as the help shows it (`<file>`), or "" for a flag. */
  readonly placeholder: string;
  readonly value: ArgumentValue;
}

export interface ArgumentSpec {
  readonly name: string;
  readonly required: boolean;
  readonly variadic: boolean;
  readonly value: ArgumentValue;
}

export interface CommandSpec {
  /** The words after `micropod`: [] for the program, ["health", "check"] for a nested verb. */
  readonly path: readonly string[];
  readonly description: string;
  readonly options: readonly OptionSpec[];
  readonly args: readonly ArgumentSpec[];
  readonly subcommands: readonly CommandSpec[];
}

/** `<file>`, `<path>` and `<dir>` placeholders name file-system values; nothing else does. */
function valueKind(placeholder: string | undefined): ArgumentValue {
  const name = placeholder?.replace(/[<>[\].]/g, "");
  if (name === "file" || name === "path") return "file";
  if (name === "dir") return "dir";
  return "none";
}

function optionSpec(o: Option): OptionSpec {
  const takesValue = o.required || o.optional;
  const placeholder = takesValue ? (/[<[][^>\]]*[>\]]/.exec(o.flags)?.[0] ?? "") : "";
  return {
    names: [o.short, o.long].filter((n): n is string => n !== undefined),
    description: o.description,
    takesValue,
    placeholder,
    value: valueKind(placeholder),
  };
}

export function commandTree(program: Program): CommandSpec {
  const help = new Help();
  const walk = (cmd: Program, path: readonly string[]): CommandSpec => ({
    path,
    description: cmd.description(),
    options: help.visibleOptions(cmd).map(optionSpec),
    args: cmd.registeredArguments.map((a) => ({ name: a.name(), required: a.required, variadic: a.variadic, value: valueKind(a.name()) })),
    // Only the verbs registered on commander, not the `help` verb it synthesises for listings.
    subcommands: help
      .visibleCommands(cmd)
      .filter((c) => cmd.commands.includes(c))
      .map((c) => walk(c, [...path, c.name()])),
  });
  return walk(program, []);
}

/** Every command in the tree, the program first, parents before their children. */
export function allCommands(root: CommandSpec): CommandSpec[] {
  return [root, ...root.subcommands.flatMap(allCommands)];
}
