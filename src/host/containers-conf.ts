import { isDeepStrictEqual } from "node:util";
import { parse, type TomlError } from "smol-toml";
import { ConfigError } from "../core/errors.js";
import { managedHeader } from "./files.js";

export const CONTAINERS_CONF = "/usr/local/etc/containers/containers.conf";
export const HOOKS_DIR = "/usr/local/etc/containers/hooks.d";

type Table = Record<string, unknown>;

/**
 * containers.conf with `dir` in `[engine] hooks_dir`, by a targeted text edit so every other
 * setting and every comment stays as the administrator wrote it. The result is re-parsed and must
 * equal the original plus `dir`; anything else is an error and nothing is written.
 */
export function withHooksDir(content: string | undefined, dir: string, file = CONTAINERS_CONF): string {
  if (content === undefined) return `${managedHeader("podman engine settings micropod needs")}[engine]\nhooks_dir = [${JSON.stringify(dir)}]\n`;
  const before = parseConf(content, file);
  const engine = (before.engine ?? {}) as Table;
  const hooks = engine.hooks_dir;
  if (hooks !== undefined && !(Array.isArray(hooks) && hooks.every((h) => typeof h === "string"))) {
    throw new ConfigError(`${file}: [engine] hooks_dir must be an array of strings`, [{ file, path: "engine.hooks_dir", message: "expected an array of directory names" }]);
  }
  if (hooks?.includes(dir)) return content;

  const lines = content.split("\n");
  const header = lines.findIndex((l) => /^\s*\[\s*engine\s*\]\s*(#.*)?$/.test(l));
  const entry = JSON.stringify(dir);
  if (hooks !== undefined) {
    const end = nextHeader(lines, header + 1);
    const at = header < 0 ? -1 : lines.slice(header + 1, end).findIndex((l) => /^\s*hooks_dir\s*=\s*\[/.test(l));
    if (at < 0) throw cannotEdit(file, dir);
    const i = header + 1 + at;
    const open = lines[i]!.indexOf("[");
    lines[i] = `${lines[i]!.slice(0, open + 1)}${entry}${hooks.length ? ", " : ""}${lines[i]!.slice(open + 1)}`;
  } else if (header >= 0) {
    lines.splice(header + 1, 0, `hooks_dir = [${entry}]  # micropod: its OCI hooks (jail profiles)`);
  } else {
    if (lines[lines.length - 1] === "") lines.pop();
    lines.push("", "[engine]", `hooks_dir = [${entry}]  # micropod: its OCI hooks (jail profiles)`, "");
  }
  const edited = lines.join("\n");

  const expected = structuredClone(before);
  expected.engine = { ...engine, hooks_dir: [dir, ...((hooks as string[] | undefined) ?? [])] };
  let after: Table | undefined;
  try {
    after = parse(edited) as Table;
  } catch {
    after = undefined;
  }
  if (!after || !isDeepStrictEqual(normalise(after), normalise(expected))) throw cannotEdit(file, dir);
  return edited;
}

function parseConf(content: string, file: string): Table {
  try {
    return parse(content) as Table;
  } catch (err) {
    const e = err as TomlError;
    throw new ConfigError(`${file} is not valid TOML, so micropod leaves it alone`, [{ file, line: e.line, message: e.message.split("\n")[0] ?? String(err) }]);
  }
}

function nextHeader(lines: string[], from: number): number {
  for (let i = from; i < lines.length; i++) if (/^\s*\[/.test(lines[i]!)) return i;
  return lines.length;
}

/** Key order differs after an edit; compare values only. */
function normalise(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v));
}

function cannotEdit(file: string, dir: string): ConfigError {
  return new ConfigError(`${file}: cannot add ${dir} to [engine] hooks_dir without rewriting the file`, [
    { file, path: "engine.hooks_dir", message: `add ${JSON.stringify(dir)} to hooks_dir under [engine] by hand, then rerun` },
  ]);
}
