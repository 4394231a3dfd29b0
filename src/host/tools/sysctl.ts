import { type Command, command, inspect } from "../../core/command.js";

/** Live kernel values, one per line in the order asked. */
export const sysctlGet = (...names: string[]): Command => inspect(["sysctl", "-n", ...names]);
export const sysctlSet = (name: string, value: string): Command => command(["sysctl", `${name}=${value}`]);
