import { readFile } from "node:fs/promises";
import { interpolate, type Vars } from "./interpolate.js";
import type { Problem } from "../core/errors.js";

/**
 * Compose `env_file`: KEY=VALUE lines. Blank lines and `#` comments are skipped, `export ` is
 * allowed, values may be 'single-quoted' (literal), "double-quoted" (\n, \t, \", \\ escapes,
 * ${VAR} interpolation) or bare (trailing ` #comment` removed, ${VAR} interpolation). A line
 * that is only a KEY takes the value from the configuration, as Compose takes it from the
 * shell, or is left out when it has none.
 */
export interface EnvFileResult {
  readonly values: Record<string, string>;
  readonly problems: Problem[];
}

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*(?:=(.*))?$/;

export async function readEnvFile(path: string, vars: Vars): Promise<EnvFileResult> {
  const text = await readFile(path, "utf8");
  return parseEnvFile(text, path, vars);
}

export function parseEnvFile(text: string, file: string, vars: Vars): EnvFileResult {
  const values: Record<string, string> = {};
  const problems: Problem[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === "" || raw.trim().startsWith("#")) return;
    const m = LINE.exec(raw);
    if (!m) {
      problems.push({ file, line, message: "expected KEY=VALUE" });
      return;
    }
    const key = m[1]!;
    if (m[2] === undefined) {
      const v = vars[key];
      if (v !== undefined) values[key] = v;
      return;
    }
    try {
      values[key] = envValue(m[2], { ...vars, ...values });
    } catch (e) {
      problems.push({ file, line, path: key, message: (e as Error).message });
    }
  });
  return { values, problems };
}

function envValue(raw: string, vars: Vars): string {
  const v = raw.trim();
  if (v.startsWith("'")) {
    const end = v.indexOf("'", 1);
    if (end < 0) throw new Error("unterminated single quote");
    return v.slice(1, end);
  }
  if (v.startsWith('"')) {
    let out = "";
    for (let i = 1; i < v.length; i++) {
      const c = v[i]!;
      if (c === "\\" && i + 1 < v.length) {
        const n = v[++i]!;
        out += n === "n" ? "\n" : n === "t" ? "\t" : n === "r" ? "\r" : n;
      } else if (c === '"') {
        return interpolate(out, vars).value;
      } else out += c;
    }
    throw new Error("unterminated double quote");
  }
  return interpolate(v.replace(/\s+#.*$/, ""), vars).value;
}
