/**
 * `.containerignore` / `.dockerignore` matching, as podman build applies it: patterns are
 * relative to the context root, `*` and `?` stay within one path segment, `**` crosses segments,
 * a pattern matching a directory excludes all beneath it, `!` re-includes, and the last matching
 * pattern wins.
 */
export interface IgnoreRule {
  readonly negate: boolean;
  readonly regex: RegExp;
}

export function parseIgnore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split("\n")) {
    let line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const negate = line.startsWith("!");
    if (negate) line = line.slice(1).trim();
    line = line.replace(/^\/+/, "").replace(/\/+$/, "").replace(/^\.\//, "");
    if (line === "" || line === ".") continue;
    rules.push({ negate, regex: new RegExp(`^${globToRegex(line)}(/.*)?$`) });
  }
  return rules;
}

function globToRegex(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === "*" && glob[i + 1] === "*") {
      // `**/` matches zero or more whole segments; a trailing `**` matches anything.
      if (glob[i + 2] === "/") {
        out += "(?:.*/)?";
        i += 2;
      } else {
        out += ".*";
        i += 1;
      }
    } else if (ch === "*") out += "[^/]*";
    else if (ch === "?") out += "[^/]";
    else if (ch === "\\" && i + 1 < glob.length) out += escape(glob[++i]!);
    else out += escape(ch);
  }
  return out;
}

const escape = (c: string) => c.replace(/[.+^${}()|[\]\\]/g, "\\$&");

/** True when the context-relative path (with `/` separators) is excluded from the build. */
export function isIgnored(rules: readonly IgnoreRule[], relPath: string): boolean {
  let ignored = false;
  for (const r of rules) if (r.regex.test(relPath)) ignored = !r.negate;
  return ignored;
}
