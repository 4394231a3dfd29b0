import { readFile } from "node:fs/promises";
import type { Problem } from "../core/errors.js";

/** One `KEY=value` line of a .env file, value unquoted and unescaped. */
export interface EnvEntry {
  readonly key: string;
  readonly value: string;
  readonly line: number;
}

export interface ParsedEnvFile {
  readonly file: string;
  readonly entries: readonly EnvEntry[];
  /** Malformed lines and duplicate keys, each with file and line. */
  readonly problems: readonly Problem[];
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DOUBLE_QUOTED_ESCAPES: Readonly<Record<string, string>> = { n: "\n", '"': '"', "\\": "\\" };

/**
 * Parse .env text the way the seed suite writes it (and Compose's env_file reads it):
 * `KEY=value`, `# comments`, blank lines, an optional `export ` prefix, 'single' quotes taken
 * literally, "double" quotes with \n \" \\ escapes, unquoted values ending at ` #`.
 * Interpolation (`${OTHER}`) is not done: a value is what is written.
 */
export function parseEnvText(text: string, file: string): ParsedEnvFile {
  const entries: EnvEntry[] = [];
  const problems: Problem[] = [];
  const firstLine = new Map<string, number>();
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    const parsed = parseLine(raw.replace(/\r$/, ""));
    if (parsed === undefined) return;
    if ("error" in parsed) {
      problems.push({ file, line, message: parsed.error });
      return;
    }
    const first = firstLine.get(parsed.key);
    if (first !== undefined) {
      problems.push({ file, line, path: parsed.key, message: `set twice; first set on line ${first}` });
      return;
    }
    firstLine.set(parsed.key, line);
    entries.push({ ...parsed, line });
  });
  return { file, entries, problems };
}

export async function readEnvFile(path: string): Promise<ParsedEnvFile> {
  return parseEnvText(await readFile(path, "utf8"), path);
}

type LineResult = { key: string; value: string } | { error: string } | undefined;

function parseLine(raw: string): LineResult {
  let rest = raw.trim();
  if (rest === "" || rest.startsWith("#")) return undefined;
  if (/^export\s/.test(rest)) rest = rest.slice("export".length).trimStart();
  const eq = rest.indexOf("=");
  // Never echo the line: it may be a secret missing its "=". Its leading name, if it has one, is safe.
  if (eq < 0) {
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest)?.[0];
    return { error: `expected KEY=value: no "=" on this line${name ? ` (it starts with ${name})` : ""}` };
  }
  const key = rest.slice(0, eq).trim();
  if (!KEY.test(key)) return { error: `invalid variable name ${JSON.stringify(key)}: expected letters, digits and _ (not starting with a digit)` };
  const value = parseValue(rest.slice(eq + 1).trimStart());
  return "error" in value ? { error: `${key}: ${value.error}` } : { key, value: value.value };
}

function parseValue(text: string): { value: string } | { error: string } {
  const quote = text[0];
  if (quote !== '"' && quote !== "'") {
    const comment = text.search(/\s#/);
    return { value: (comment < 0 ? text : text.slice(0, comment)).trimEnd() };
  }
  let value = "";
  for (let i = 1; i < text.length; i++) {
    const c = text[i]!;
    if (c === quote) {
      const after = text.slice(i + 1).trim();
      // The stray text is not shown: it may be part of a secret the quotes were meant to hold.
      if (after !== "" && !after.startsWith("#")) return { error: `unexpected text after the closing quote (${after.length} characters); quote the whole value` };
      return { value };
    }
    if (quote === '"' && c === "\\" && i + 1 < text.length) {
      const next = text[++i]!;
      // Unknown escapes stay as written, as Compose keeps them.
      value += DOUBLE_QUOTED_ESCAPES[next] ?? `\\${next}`;
      continue;
    }
    value += c;
  }
  return { error: `unterminated ${quote === '"' ? "double" : "single"}-quoted value (values span one line)` };
}


/** Render one line that parseEnvText reads back to exactly `value`. */
export function formatEnvLine(key: string, value: string): string {
  if (/^[A-Za-z0-9_.,:/@+=-]*$/.test(value)) return `${key}=${value}`;
  if (!value.includes("'") && !value.includes("\n")) return `${key}='${value}'`;
  return `${key}="${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}
