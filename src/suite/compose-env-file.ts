import { readFile } from "node:fs/promises";
import { parseEnvText } from "../config/env-file.js";
import { InterpolationError, interpolate, type Vars } from "./interpolate.js";
import type { Problem } from "../core/errors.js";

/**
 * Compose `env_file`: the lines are read by the one .env tokenizer (src/config/env-file.ts, with
 * Compose's key rules); what is Compose's own is done here. Unquoted and double-quoted values are
 * interpolated (Compose's env-file syntax: "Unquoted and double-quoted values have interpolation
 * applied"), from the configuration and the lines above; single-quoted ones are literal. A bare
 * `KEY` takes the configuration's value, as Compose takes it from the shell, or is left out when
 * it has none. A key set again overrides the earlier line.
 */
export interface EnvFileResult {
  readonly values: Record<string, string>;
  readonly problems: Problem[];
}

export async function readComposeEnvFile(path: string, vars: Vars): Promise<EnvFileResult> {
  return parseComposeEnvFile(await readFile(path, "utf8"), path, vars);
}

export function parseComposeEnvFile(text: string, file: string, vars: Vars): EnvFileResult {
  const parsed = parseEnvText(text, file, { keys: "compose" });
  const values: Record<string, string> = {};
  const problems: Problem[] = [...parsed.problems];
  for (const entry of parsed.entries) {
    if ("inherit" in entry) {
      const v = vars[entry.key];
      if (v !== undefined) values[entry.key] = v;
      continue;
    }
    if (!entry.interpolate) {
      values[entry.key] = entry.value;
      continue;
    }
    try {
      values[entry.key] = interpolate(entry.value, { ...vars, ...values }).value;
    } catch (e) {
      // A malformed template is not quoted back: the value may be a secret.
      const message = e instanceof InterpolationError && e.kind === "malformed" ? "invalid ${...} interpolation in the value" : (e as Error).message;
      problems.push({ file, line: entry.line, path: entry.key, message });
    }
  }
  return { values, problems };
}
