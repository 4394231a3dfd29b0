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

/**
 * Which key grammar and key rules apply; everything else (lines, comments, quotes, escapes) is
 * one tokenizer for both.
 *  - "env" (micropod's .env and the secrets file): names are [A-Za-z_][A-Za-z0-9_]*, every line
 *    needs its "=", a key set twice is an error (a second DB_PASS silently winning is a bug).
 *  - "compose" (Compose `env_file:`): names may also hold `.` and `-`, as compose-go's dotenv
 *    parser accepts; a bare `KEY` line inherits the value from the caller's variables; a key set
 *    again overrides the earlier line, as in Compose.
 */
export interface EnvParseOptions {
  readonly keys?: "env" | "compose";
}

/**
 * A Compose env_file line: a value (`interpolate` false when single-quoted, which Compose takes
 * literally) or a bare `KEY` whose value comes from the caller's variables.
 */
export type ComposeEnvEntry =
  | { readonly key: string; readonly value: string; readonly line: number; readonly interpolate: boolean }
  | { readonly key: string; readonly inherit: true; readonly line: number };

export interface ParsedComposeEnvFile {
  readonly file: string;
  readonly entries: readonly ComposeEnvEntry[];
  readonly problems: readonly Problem[];
}

const KEYS = {
  env: { start: /^[A-Za-z_][A-Za-z0-9_]*/, whole: /^[A-Za-z_][A-Za-z0-9_]*$/, says: "letters, digits and _" },
  compose: { start: /^[A-Za-z_][A-Za-z0-9_.-]*/, whole: /^[A-Za-z_][A-Za-z0-9_.-]*$/, says: "letters, digits, _, . and -" },
} as const;

/**
 * Escapes in "double-quoted" values, decided once for .env and env_file alike so one file reads
 * the same both ways. Compose's env-file syntax (docs.docker.com/compose/env-file/) documents
 * `\n`, `\r`, `\t`, `\\` and `\"` in double quotes; those are the table. Any other backslash
 * pair is kept as written (compose-go keeps escapes it does not know, too). Single-quoted values
 * are literal: no escapes, no interpolation. Interpolation itself is not the tokenizer's business:
 * Compose interpolates unquoted and double-quoted env_file values (the suite loader does that with
 * the result); micropod's own .env is never interpolated, a value is what is written.
 */
const DOUBLE_QUOTED_ESCAPES: Readonly<Record<string, string>> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

/**
 * Parse KEY=value text: `# comments`, blank lines, an optional `export ` prefix, 'single' quotes
 * taken literally, "double" quotes with the escapes above, unquoted values ending at ` #`, one
 * value per line. Problems name file and line and never echo the line (it may be a secret).
 */
export function parseEnvText(text: string, file: string, options?: { readonly keys?: "env" }): ParsedEnvFile;
export function parseEnvText(text: string, file: string, options: { readonly keys: "compose" }): ParsedComposeEnvFile;
export function parseEnvText(text: string, file: string, options: EnvParseOptions = {}): ParsedEnvFile | ParsedComposeEnvFile {
  const compose = options.keys === "compose";
  const keys = KEYS[options.keys ?? "env"];
  const entries: ComposeEnvEntry[] = [];
  const problems: Problem[] = [];
  const firstLine = new Map<string, number>();
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    const parsed = parseLine(raw.replace(/\r$/, ""), keys, compose);
    if (parsed === undefined) return;
    if ("error" in parsed) {
      problems.push({ file, line, message: parsed.error });
      return;
    }
    const first = firstLine.get(parsed.key);
    if (first !== undefined && !compose) {
      problems.push({ file, line, path: parsed.key, message: `set twice; first set on line ${first}` });
      return;
    }
    firstLine.set(parsed.key, line);
    if (parsed.value === undefined) entries.push({ key: parsed.key, inherit: true, line });
    else entries.push({ key: parsed.key, value: parsed.value, line, interpolate: parsed.quote !== "'" });
  });
  if (compose) return { file, entries, problems };
  // Only the Compose keys yield a bare KEY (in .env it is an error), so every entry here has a value.
  return { file, entries: entries.flatMap((e) => ("value" in e ? [{ key: e.key, value: e.value, line: e.line }] : [])), problems };
}

export async function readEnvFile(path: string): Promise<ParsedEnvFile> {
  return parseEnvText(await readFile(path, "utf8"), path);
}

type KeyRules = (typeof KEYS)[keyof typeof KEYS];
type LineResult = { key: string; value?: string; quote?: string } | { error: string } | undefined;

function parseLine(raw: string, keys: KeyRules, compose: boolean): LineResult {
  let rest = raw.trim();
  if (rest === "" || rest.startsWith("#")) return undefined;
  if (/^export\s/.test(rest)) rest = rest.slice("export".length).trimStart();
  const eq = rest.indexOf("=");
  // A bare KEY inherits in Compose; anything else without "=" is malformed.
  if (eq < 0 && compose && keys.whole.test(rest)) return { key: rest };
  // Never echo the line: it may be a secret missing its "=". Its leading name, if it has one, is safe.
  if (eq < 0) {
    const name = keys.start.exec(rest)?.[0];
    return { error: `expected KEY=value: no "=" on this line${name ? ` (it starts with ${name})` : ""}` };
  }
  const key = rest.slice(0, eq).trim();
  if (!keys.whole.test(key)) return { error: `invalid variable name ${JSON.stringify(key)}: expected ${keys.says} (not starting with a digit)` };
  const text = rest.slice(eq + 1).trimStart();
  const value = parseValue(text);
  return "error" in value ? { error: `${key}: ${value.error}` } : { key, value: value.value, quote: text[0] };
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
      // Escapes outside the table stay as written (see DOUBLE_QUOTED_ESCAPES).
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
