import { type Command, command, inspect } from "../../core/command.js";

/** Names of the installed packages among `names` (one per line; exit 1 when none is). */
export const pkgInstalled = (names: readonly string[]): Command => inspect(["pkg", "query", "%n", ...names]);
/** The installed version of one package (exit 1 when it is not installed). */
export const pkgVersion = (name: string): Command => inspect(["pkg", "query", "%v", name]);
/** ASSUME_ALWAYS_YES also answers pkg's first-run bootstrap question on a fresh host. */
export const pkgInstall = (names: readonly string[]): Command => command(["pkg", "install", "-y", ...names], { env: { ASSUME_ALWAYS_YES: "yes" } });
