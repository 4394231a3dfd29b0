import { readFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { SuiteError } from "../core/errors.js";

/**
 * Which context files `podman build` leaves out, exactly as podman does it, quirks included: the
 * build cache hashes what podman copies, so a rule read more kindly here than there would let a
 * change go unnoticed (or rebuild for nothing). Read at the source of the podman 4.3 that Debian
 * 12 ships (buildah 1.28.2, containers/storage 1.43.0, openshift/imagebuilder 1.2.3; the pattern
 * code is unchanged in today's buildah and storage) and checked against real podman by
 * test/podman/containerignore.test.ts:
 *
 * - the file: `<Containerfile>.dockerignore`, else `<Containerfile>.containerignore`, else the
 *   context's `.containerignore`, else its `.dockerignore` (buildah pkg/parse ContainerIgnoreFile);
 * - its lines (imagebuilder builder.go ParseIgnore): split on "\n"; a line whose first byte is `#`
 *   is a comment (an indented `#` is a pattern); `/` trimmed from both ends;
 * - each pattern (storage pkg/fileutils NewPatternMatcher): white space trimmed, Go's
 *   filepath.Clean, a leading `!` makes it an exception. It becomes a regexp: `*` and `?` stay
 *   within a path segment, `**` crosses them, `.` and `$` are literal, `\` escapes the next
 *   character, a leading byte-order mark is dropped (Go's text/scanner) and every other character
 *   goes into the regexp as it is (so `[ab]` is a class and `file(1).txt` a group), followed by
 *   `(/.*)?`: a pattern matching a directory matches all beneath it. The last match decides;
 * - the walk (buildah copier/copier.go copierHandlerGet): an excluded file is left out; an
 *   excluded directory is entered only when some exception pattern, as a string, starts with its
 *   path (so `!dir/keep` reaches into `dir`, `!**\/keep` does not).
 *
 * npm's @balena/dockerignore ports Docker's (moby 19.03) matcher instead: case-insensitive, with
 * moby's parent-directory rule and no walk, so it would answer differently from podman here.
 */
export interface IgnorePattern {
  /** As podman keeps it: cleaned, without the `!`. */
  readonly pattern: string;
  readonly exception: boolean;
  readonly line: number;
  readonly regex: RegExp;
}

/** The patterns of the ignore file podman uses for a build of `containerfile` in `context` (none without one). */
export async function readIgnoreFile(context: string, containerfile: string): Promise<IgnorePattern[]> {
  const candidates = [`${containerfile}.dockerignore`, `${containerfile}.containerignore`, join(context, ".containerignore"), join(context, ".dockerignore")];
  for (const path of candidates) {
    const text = await readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return undefined;
      throw err;
    });
    if (text !== undefined) return parseIgnore(text, path);
  }
  return [];
}

export function parseIgnore(text: string, file = ".containerignore"): IgnorePattern[] {
  const patterns: IgnorePattern[] = [];
  text.split("\n").forEach((raw, i) => {
    if (raw === "" || raw.startsWith("#")) return;
    let p = goTrimSpace(trimSlashes(raw));
    if (p === "") return;
    p = goClean(p);
    const exception = p.startsWith("!");
    if (exception) {
      if (p === "!") throw badPattern(file, i + 1, raw, 'a lone "!" excludes nothing');
      p = goClean(p.slice(1)).replace(/^\//, "");
    }
    patterns.push({ pattern: p, exception, line: i + 1, regex: compile(p, file, i + 1, raw) });
  });
  return patterns;
}

/** True when podman leaves the context-relative path (with `/` separators) out of the build. */
export function isExcluded(patterns: readonly IgnorePattern[], relPath: string): boolean {
  let excluded = false;
  for (const p of patterns) if (p.regex.test(relPath)) excluded = !p.exception;
  return excluded;
}

/** Whether podman walks into an excluded directory: only when an exception may lie beneath it. */
export function entersExcludedDirectory(patterns: readonly IgnorePattern[], relPath: string): boolean {
  const dir = trimSlashes(relPath);
  return patterns.some((p) => p.exception && `${trimSlashes(p.pattern)}/`.startsWith(dir));
}

function compile(pattern: string, file: string, line: number, raw: string): RegExp {
  const syntax = globSyntaxError(pattern);
  if (syntax) throw badPattern(file, line, raw, syntax);
  let re = "^";
  const chars = [...pattern];
  // The pattern is read with Go's text/scanner, whose first Peek skips a byte-order mark.
  if (chars[0] === "\ufeff") chars.shift();
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === "*" && chars[i + 1] === "*") {
      i++;
      if (chars[i + 1] === "/") i++;
      re += i + 1 >= chars.length ? ".*" : "(.*/)?";
    } else if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else if (ch === "." || ch === "$") re += `\\${ch}`;
    else if (ch === "\\") re += `\\${chars[++i]!}`;
    else re += ch;
  }
  try {
    return new RegExp(`${re}(/.*)?$`);
  } catch (err) {
    // Go's regexp (RE2) and JavaScript's differ at the edges ((?i), [[:alpha:]]): say so, as podman would fail.
    throw badPattern(file, line, raw, (err as Error).message);
  }
}

/** The check NewPatternMatcher makes with Go's filepath.Match: a dangling `\`, a bad `[...]` class. */
function globSyntaxError(pattern: string): string | undefined {
  const c = [...pattern];
  let i = 0;
  // Go's getEsc: one class character, `\`-escaped or not; `-` and `]` cannot start one.
  const classChar = (): boolean => {
    if (i >= c.length || c[i] === "-" || c[i] === "]") return false;
    if (c[i] === "\\") i++;
    return ++i < c.length;
  };
  for (; i < c.length; i++) {
    if (c[i] === "\\") {
      if (++i >= c.length) return "it ends in an escaping backslash";
    } else if (c[i] === "[") {
      i++;
      if (c[i] === "^") i++;
      for (let ranges = 0; !(c[i] === "]" && ranges > 0); ranges++) {
        if (!classChar()) return "a malformed [...] class";
        if (c[i] !== "-") continue;
        i++;
        if (!classChar()) return "a malformed [...] class";
      }
    }
  }
  return undefined;
}

const badPattern = (file: string, line: number, raw: string, why: string) =>
  new SuiteError(`${file}: podman build would refuse this ignore file`, [{ file, line, message: `pattern ${JSON.stringify(raw)} is not valid: ${why}` }]);

const trimSlashes = (s: string) => s.replace(/^\/+|\/+$/g, "");

/** Go's strings.TrimSpace: Unicode white space, which a BOM is not (JavaScript's trim() removes it). */
const goTrimSpace = (s: string) => s.replace(/^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g, "");

/** Go's filepath.Clean: posix normalize, without the trailing slash it keeps. */
function goClean(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith("/") ? n.slice(0, -1) : n;
}
