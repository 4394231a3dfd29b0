import type { Command } from "../core/command.js";
import type { Runner } from "../core/runner.js";

/**
 * Which podman a command talks to. A service placed on another host runs through that host's
 * `podman system service`: `podman --url URL ...` (a global option, before the verb:
 * containers/podman docs/source/markdown/podman.1.md, `--url`, "URL to access Podman service";
 * unix:// and ssh:// forms). The one place that spells it: every builder here makes a local
 * command, and `onConnection` points it at a host.
 */
export function onConnection(c: Command, url: string | undefined): Command {
  if (!url || c.argv[0] !== "podman" || c.argv[1] === "--url") return c;
  return { ...c, argv: ["podman", "--url", url, ...c.argv.slice(1)] };
}

/** The connection a command was pointed at, or undefined for the local podman. */
export const connectionOf = (c: Command): string | undefined => (c.argv[0] === "podman" && c.argv[1] === "--url" ? c.argv[2] : undefined);

/**
 * A runner whose podman commands go to `url`: for code that builds its commands while it runs
 * (a readiness wait reading a container's state and log). A command already pointed at a host
 * keeps its own.
 */
export function connectedRunner(runner: Runner, url: string | undefined): Runner {
  if (!url) return runner;
  return { run: (c, opts) => runner.run(onConnection(c, url), opts) };
}
