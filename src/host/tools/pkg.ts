import { type Command, command, inspect } from "../../core/command.js";

/**
 * The origins of the installed packages among `patterns` (names or origins), one per line; exit
 * 1 when none is installed. pkg-query(8) matches each pattern exactly, against the origin when it
 * holds a "/" (libpkg/pkgdb_query.c, freebsd/pkg), and %o prints the origin.
 */
export const pkgInstalledOrigins = (patterns: readonly string[]): Command => inspect(["pkg", "query", "%o", ...patterns]);
/** The installed version of one package (exit 1 when it is not installed). */
export const pkgVersion = (name: string): Command => inspect(["pkg", "query", "%v", name]);
/** ASSUME_ALWAYS_YES also answers pkg's first-run bootstrap question on a fresh host. */
export const pkgInstall = (patterns: readonly string[]): Command => command(["pkg", "install", "-y", ...patterns], { env: { ASSUME_ALWAYS_YES: "yes" } });
