import { type Command, command, inspect } from "../../core/command.js";

/** sysrc works on the rc.conf files under `-R dir` when micropod runs with --root. */
const base = (root: string): string[] => (root === "/" ? ["sysrc"] : ["sysrc", "-R", root]);

/** The value of an rc.conf variable; exits non-zero when the variable is unknown. */
export const sysrcGet = (root: string, name: string): Command => inspect([...base(root), "-n", name]);

export const sysrcSet = (root: string, values: Readonly<Record<string, string>>): Command =>
  command([...base(root), ...Object.entries(values).map(([k, v]) => `${k}=${v}`)]);

/** Remove variables from rc.conf; `-i`: one that is not set is not an error (sysrc(8)). */
export const sysrcRemove = (root: string, names: readonly string[]): Command => command([...base(root), "-i", "-x", ...names]);
