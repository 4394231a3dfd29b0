import { createHash } from "node:crypto";
import { lstat, readFile, readdir, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { BuildSpec } from "../suite/model.js";
import { type IgnorePattern, entersExcludedDirectory, isExcluded, readIgnoreFile } from "./containerignore.js";

/** What a build's identity depends on, read from the file system (the impure half of the build cache). */
export interface BuildContextFacts {
  /** sha256 over the Containerfile and every context entry podman copies (files, links, directories). */
  readonly digest: string;
  /** Base images named by FROM lines (ARG-substituted, earlier stages excluded), normalised with a tag. */
  readonly bases: readonly string[];
  /** How many context files were hashed (shown by `build`). */
  readonly files: number;
}

export async function readBuildContext(build: BuildSpec): Promise<BuildContextFacts> {
  const containerfile = await readFile(build.dockerfile, "utf8");
  const ignore = await readIgnoreFile(build.context, build.dockerfile);
  const hash = createHash("sha256");
  hash.update(`containerfile\0${containerfile}\0`);
  let files = 0;
  for (const e of await contextEntries(build.context, ignore)) {
    const abs = join(build.context, e.path);
    // The exec bit matters to a COPY'd entrypoint; other mode bits and times do not.
    const kind = e.kind === "link" ? `link:${await readlink(abs)}` : e.kind === "file" ? `file:${(await lstat(abs)).mode & 0o111 ? "x" : "-"}` : e.kind;
    hash.update(`${e.path}\0${kind}\0`);
    if (e.kind === "file") hash.update(await readFile(abs));
    hash.update("\0");
    if (e.kind !== "dir") files++;
  }
  return { digest: hash.digest("hex"), bases: fromImages(containerfile, build.args), files };
}

export interface ContextEntry {
  /** Relative to the context, `/`-separated. */
  readonly path: string;
  readonly kind: "file" | "link" | "dir" | "other";
}

/**
 * What `podman build` copies from the context after the ignore file, in path order: the walk of
 * buildah's copier (sockets skipped; an excluded directory entered only for an exception that may
 * lie beneath it, and then not itself copied). See containerignore.ts.
 */
export async function contextEntries(context: string, patterns: readonly IgnorePattern[]): Promise<ContextEntry[]> {
  const out: ContextEntry[] = [];
  const visit = async (dir: string): Promise<void> => {
    const entries = (await readdir(join(context, dir), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      if (e.isSocket()) continue;
      const path = dir ? `${dir}/${e.name}` : e.name;
      if (isExcluded(patterns, path)) {
        if (e.isDirectory() && entersExcludedDirectory(patterns, path)) await visit(path);
        continue;
      }
      out.push({ path, kind: e.isDirectory() ? "dir" : e.isSymbolicLink() ? "link" : e.isFile() ? "file" : "other" });
      if (e.isDirectory()) await visit(path);
    }
  };
  await visit("");
  return out;
}

/**
 * The images a Containerfile builds FROM. ARGs declared before the first FROM (with their
 * defaults, overridden by build args) are substituted; `FROM stage` naming an earlier stage and
 * `FROM scratch` are not images.
 */
export function fromImages(containerfile: string, buildArgs: Readonly<Record<string, string>>): string[] {
  const args: Record<string, string> = {};
  const stages = new Set<string>();
  const bases: string[] = [];
  let seenFrom = false;
  const lines = containerfile.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  for (const raw of lines) {
    const line = raw.trim();
    const arg = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/i.exec(line);
    if (arg && !seenFrom) {
      const name = arg[1]!;
      args[name] = buildArgs[name] ?? unquote(arg[2] ?? "");
      continue;
    }
    const from = /^FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (!from) continue;
    seenFrom = true;
    const image = substitute(from[1]!, { ...args, ...pick(buildArgs, Object.keys(args)) });
    if (!stages.has(image.toLowerCase()) && image !== "scratch") bases.push(normaliseImageRef(image));
    if (from[2]) stages.add(from[2].toLowerCase());
  }
  return [...new Set(bases)];
}

const unquote = (v: string) => v.trim().replace(/^"(.*)"$/, "$1").replace(/^'(.*)'$/, "$1");
const pick = (m: Readonly<Record<string, string>>, keys: string[]) => Object.fromEntries(keys.filter((k) => k in m).map((k) => [k, m[k]!]));

function substitute(s: string, vars: Record<string, string>): string {
  return s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a: string | undefined, def: string | undefined, b: string | undefined) => {
    const name = (a ?? b)!;
    const v = vars[name];
    return v !== undefined && v !== "" ? v : (def ?? "");
  });
}

/** `name` and `name:latest` are the same image; podman reports the latter. */
export function normaliseImageRef(ref: string): string {
  if (ref.includes("@")) return ref;
  const lastSlash = ref.lastIndexOf("/");
  return ref.slice(lastSlash + 1).includes(":") ? ref : `${ref}:latest`;
}
