import { Argument, type Command as Program } from "commander";
import { bashCompletion } from "../completion/bash.js";
import { commandTree } from "../completion/command-tree.js";
import { synopsis } from "../completion/synopsis.js";
import { zshCompletion } from "../completion/zsh.js";
import type { Register } from "./index.js";

export const COMPLETION_SHELLS = ["bash", "zsh", "sh"] as const;
export type CompletionShell = (typeof COMPLETION_SHELLS)[number];

/** The script for `shell`, generated from the program's own command definitions. */
export function completionScript(program: Program, shell: CompletionShell): string {
  const tree = commandTree(program);
  if (shell === "bash") return bashCompletion(tree);
  if (shell === "zsh") return zshCompletion(tree);
  return synopsis(tree);
}

export const registerCompletion: Register = (program, context) => {
  program
    .command("completion")
    .description("print shell completion for bash or zsh, generated from micropod's commands; for sh, every command line (sh has no programmable completion)")
    .addArgument(new Argument("<shell>", "bash, zsh or sh").choices(COMPLETION_SHELLS))
    .action((shell: CompletionShell) => context().out(completionScript(program, shell)));
};
