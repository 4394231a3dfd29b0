import { type Command, command } from "../../core/command.js";

/** Load the pf module unless it is loaded (`-n`: not an error when it is). */
export const kldloadPf = (): Command => command(["kldload", "-n", "pf"]);
/** Parse a ruleset without loading it. Not read-only: pfctl needs /dev/pf, hence pf loaded. */
export const pfctlParse = (file: string): Command => command(["pfctl", "-nf", file]);
export const pfctlLoad = (file: string): Command => command(["pfctl", "-f", file]);
