import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Problem } from "../../core/errors.js";
import { canonicalName, derivedVariables, generatedVariables } from "../../config/variables.js";

/** A secret the seed suite generated and stored, and where it was found. */
export interface StoredSecret {
  /** micropod's variable. */
  readonly name: string;
  readonly value: string;
  readonly file: string;
  readonly line: number;
}

export interface SeedSecrets {
  readonly secrets: ReadonlyMap<string, StoredSecret>;
  /** Files of the directory read, and the ones left alone (the owner's credentials, ...). */
  readonly read: readonly string[];
  readonly ignored: readonly string[];
  /** Two files holding different values for one secret. */
  readonly problems: readonly Problem[];
}

/**
 * The files the seed keeps its generated secrets in, in the forms Mastodon's own tools print
 * them (the layout of its authors' earlier image, bsdpot/potluck mastodon-s3
 * configure-mastodon.sh, which fills them from `rails secret`, `rake
 * mastodon:webpush:generate_vapid_key` and `rails db:encryption:init`):
 *  - secret.key, otp.key: the value alone;
 *  - vapid.keys: VAPID_PRIVATE_KEY=... and VAPID_PUBLIC_KEY=... lines;
 *  - activerecord.keys: Mastodon's `db:encryption:init` lines (ACTIVE_RECORD_ENCRYPTION_...=,
 *    after a sentence of prose: lib/tasks/db.rake) or Rails' YAML form (primary_key: ...);
 *  - backup.env.production: a copy of Mastodon's .env.production (SECRET_KEY_BASE, DB_PASS, ...).
 */
const WHOLE_FILE: Readonly<Record<string, string>> = { "secret.key": "SECRET_KEY", "otp.key": "OTP_SECRET" };
const LINE_FILES = ["vapid.keys", "activerecord.keys", "backup.env.production"];
const YAML_KEYS: Readonly<Record<string, string>> = {
  primary_key: "ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY",
  deterministic_key: "ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY",
  key_derivation_salt: "ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT",
};

/** Mastodon's name for a secret (SECRET_KEY_BASE) or micropod's, or the seed's, to micropod's; only the ones micropod would generate. */
function secretVariable(name: string): string | undefined {
  const v = canonicalName(name) ?? derivedVariables[name];
  return v !== undefined && generatedVariables.includes(v) ? v : undefined;
}

const unquote = (v: string) => (/^(["']).*\1$/.test(v) ? v.slice(1, -1) : v);

/** The secrets in one file's text; lines that are not an assignment (prose, comments) are skipped. */
export function secretsInText(file: string, text: string): StoredSecret[] {
  const base = file.slice(file.lastIndexOf("/") + 1);
  const whole = WHOLE_FILE[base];
  const lines = text.split("\n");
  if (whole) {
    const values = lines.map((l) => l.trim()).filter(Boolean);
    return values.length === 1 ? [{ name: whole, value: values[0]!, file, line: lines.findIndex((l) => l.trim() !== "") + 1 }] : [];
  }
  const out: StoredSecret[] = [];
  lines.forEach((raw, i) => {
    const assignment = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*?)\s*$/.exec(raw);
    const yaml = /^\s*([a-z_]+):\s*(\S+)\s*$/.exec(raw);
    const name = assignment ? secretVariable(assignment[1]!) : yaml ? YAML_KEYS[yaml[1]!] : undefined;
    const value = unquote((assignment ?? yaml)?.[2] ?? "");
    if (name && value) out.push({ name, value, file, line: i + 1 });
  });
  return out;
}

/** Read the seed's stored secrets; a missing directory holds none (the .env may carry them all). */
export async function readSeedSecrets(dir: string): Promise<SeedSecrets> {
  const entries = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [] as string[];
    throw err;
  });
  const secrets = new Map<string, StoredSecret>();
  const problems: Problem[] = [];
  const read: string[] = [];
  for (const name of [...Object.keys(WHOLE_FILE), ...LINE_FILES].filter((n) => entries.includes(n))) {
    const file = join(dir, name);
    read.push(file);
    for (const s of secretsInText(file, await readFile(file, "utf8"))) {
      const earlier = secrets.get(s.name);
      if (!earlier) secrets.set(s.name, s);
      else if (earlier.value !== s.value) {
        problems.push({ file: s.file, line: s.line, path: s.name, message: `differs from ${earlier.file}:${earlier.line}: the seed stored two values; keep the one its database was written with in one place` });
      }
    }
  }
  const ignored = entries.filter((n) => !read.includes(join(dir, n))).sort().map((n) => join(dir, n));
  return { secrets, read, ignored, problems };
}
