import { type Command, inspect } from "../../core/command.js";

export const routeGetDefault = (family: "inet" | "inet6"): Command =>
  inspect(family === "inet" ? ["route", "-n", "get", "default"] : ["route", "-n", "get", "-inet6", "default"]);

/** The `interface:` line of `route get` output. */
export function parseRouteInterface(stdout: string): string | undefined {
  return /^\s*interface:\s*(\S+)\s*$/m.exec(stdout)?.[1];
}
