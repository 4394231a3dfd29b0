import { type Command, command, inspect } from "../../core/command.js";

/** Live kernel values, one per line in the order asked. */
export const sysctlGet = (...names: string[]): Command => inspect(["sysctl", "-n", ...names]);
/** Set live kernel values: `sysctl name=value ...`, one argument per pair. */
export const sysctlSet = (...pairs: ReadonlyArray<readonly [name: string, value: string]>): Command =>
  command(["sysctl", ...pairs.map(([name, value]) => `${name}=${value}`)]);
