import { allCommands, type CommandSpec } from "./command-tree.js";

/**
 * `micropod completion sh`. FreeBSD's /bin/sh (root's shell since 14.0) completes the first word
 * from $PATH and every later word as a file name, and has no hook for a program's own
 * completions (bin/sh/histedit.c, sh_matches). So for sh there is no script to load: this is
 * every command line micropod accepts, one per line, for reading and grep.
 */
export function synopsis(root: CommandSpec): string {
  const lines = allCommands(root)
    .filter((c) => c === root || c.subcommands.length === 0)
    .map((c) => {
      const options = c.options.map((o) => `[${o.names.join("|")}${o.placeholder ? ` ${o.placeholder}` : ""}]`);
      const args = c.args.map((a) => {
        const name = `${a.name}${a.variadic ? "..." : ""}`;
        return a.required ? `<${name}>` : `[${name}]`;
      });
      return ["micropod", ...c.path, ...options, ...args].join(" ");
    });
  return `# micropod: every command and its options. FreeBSD's /bin/sh has no programmable completion;\n# use \`micropod completion bash\` or \`zsh\` in those shells. See micropod(8).\n${lines.join("\n")}\n`;
}
