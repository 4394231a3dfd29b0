import type { Command } from "../core/command.js";
import { listImages, podmanVersion } from "./image.js";
import { listNetworks } from "./network.js";
import { listSecrets } from "./secret.js";

/**
 * The hot-path podman commands that can go over podman's REST API instead of a forked CLI
 * (issue 12: the API answered start in 151 ms against the CLI's 246, `ps --all` in 13 against
 * 105). Recognised from the argv the builders in src/podman make, and nothing looser: a command
 * with any flag, environment, input or working directory this does not know stays with the CLI.
 * test/unit/podman/api-calls rebuilds each recognised command's argv with those same builders
 * (a round trip per builder), so a builder changing shape fails a test instead of quietly
 * falling back to the CLI (or worse, being misread).
 */
export type PodmanApiCall =
  | { readonly kind: "start"; readonly name: string }
  | { readonly kind: "stop"; readonly names: readonly string[]; readonly timeoutSec?: number }
  | { readonly kind: "list"; readonly labels: Readonly<Record<string, string>> }
  | { readonly kind: "inspect"; readonly names: readonly string[] }
  | { readonly kind: "exec"; readonly name: string; readonly argv: readonly string[]; readonly env: Readonly<Record<string, string>>; readonly user?: string }
  // What `observe` reads before every start: with these five over the socket, a start forks no
  // podman before its first `podman create` (issue 12: they took ~0.4 s of every start's critical path).
  | { readonly kind: "version" }
  | { readonly kind: "images" }
  | { readonly kind: "networks" }
  | { readonly kind: "secrets" }
  | { readonly kind: "inspect-secrets"; readonly names: readonly string[] };

/** Commands recognised by their exact argv: the builder's, nothing else. */
const EXACT: ReadonlyArray<readonly [Command, PodmanApiCall]> = [
  [podmanVersion(), { kind: "version" }],
  [listImages(), { kind: "images" }],
  [listNetworks(), { kind: "networks" }],
  [listSecrets(), { kind: "secrets" }],
];

/** A container name or id as an argument, not a flag. */
const isName = (a: string | undefined): a is string => a !== undefined && a !== "" && !a.startsWith("-");

/** The API call a command stands for, or undefined when it must go to the CLI. */
export function podmanApiCall(c: Command): PodmanApiCall | undefined {
  // --url (another host), secrets in env, stdin, a working directory: the CLI's business.
  if (c.argv[0] !== "podman" || c.env || c.input !== undefined || c.cwd !== undefined || c.secret) return undefined;
  const exact = EXACT.find(([builder]) => builder.argv.length === c.argv.length && builder.argv.every((a, i) => a === c.argv[i]));
  if (exact) return exact[1];
  const [verb, ...rest] = c.argv.slice(1);
  switch (verb) {
    case "start":
      // startContainer starts one container; a command naming more is not one micropod builds.
      return rest.length === 1 && isName(rest[0]) ? { kind: "start", name: rest[0] } : undefined;
    case "stop":
      return stopCall(rest);
    case "ps":
      return listCall(rest);
    case "container": {
      const names = inspectedNames(rest);
      return names && { kind: "inspect", names };
    }
    case "exec":
      return execCall(rest);
    case "secret": {
      const names = inspectedNames(rest);
      return names && { kind: "inspect-secrets", names };
    }
    default:
      return undefined;
  }
}

/** `inspect NAME...` without flags (`container inspect`, `secret inspect`): the names. */
function inspectedNames(rest: readonly string[]): readonly string[] | undefined {
  return rest[0] === "inspect" && rest.length > 1 && rest.slice(1).every(isName) ? rest.slice(1) : undefined;
}

function stopCall(rest: readonly string[]): PodmanApiCall | undefined {
  let names = rest;
  let timeoutSec: number | undefined;
  if (rest[0] === "--time") {
    if (!/^\d+$/.test(rest[1] ?? "")) return undefined;
    timeoutSec = Number(rest[1]);
    names = rest.slice(2);
  }
  if (names.length === 0 || !names.every(isName)) return undefined;
  return { kind: "stop", names, ...(timeoutSec !== undefined ? { timeoutSec } : {}) };
}

function listCall(rest: readonly string[]): PodmanApiCall | undefined {
  if (rest[0] !== "--all" || rest[1] !== "--format" || rest[2] !== "json") return undefined;
  const labels: Record<string, string> = {};
  for (const f of rest.slice(3)) {
    const m = /^--filter=label=([^=]+)=(.*)$/.exec(f);
    if (!m) return undefined;
    labels[m[1]!] = m[2]!;
  }
  return { kind: "list", labels };
}

function execCall(rest: readonly string[]): PodmanApiCall | undefined {
  const env: Record<string, string> = {};
  let user: string | undefined;
  let i = 0;
  for (; rest[i]?.startsWith("-"); i += 2) {
    const value = rest[i + 1];
    if (value === undefined) return undefined;
    if (rest[i] === "--env" && value.includes("=")) env[value.slice(0, value.indexOf("="))] = value.slice(value.indexOf("=") + 1);
    else if (rest[i] === "--user" && user === undefined) user = value;
    else return undefined; // --interactive, --tty, --workdir ...: the CLI's
  }
  const name = rest[i];
  const argv = rest.slice(i + 1);
  if (!isName(name) || argv.length === 0) return undefined;
  return { kind: "exec", name, argv, env, ...(user !== undefined ? { user } : {}) };
}
