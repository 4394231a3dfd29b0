import { readdir, stat } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import type { Problem } from "../../core/errors.js";
import type { Suite } from "../../suite/model.js";
import type { SeedContainer } from "./seed-containers.js";

/** What happens to one of micropod's data directories. */
export type DataAction = "reuse" | "move" | "copy" | "new";

export interface DataStep {
  /** micropod's directory (a bind-mount source under DATA_DIR). */
  readonly path: string;
  readonly services: readonly string[];
  readonly action: DataAction;
  /** The seed's directory mounted at the same place in the container it replaces. */
  readonly from?: string;
  readonly seedContainer?: string;
}

const inside = (dir: string, p: string) => {
  const r = relative(dir, p);
  return r !== "" && !r.startsWith("..") && !r.startsWith("/");
};

/**
 * Pair micropod's data directories with the seed's. A directory micropod's service bind-mounts
 * from under DATA_DIR is the one the seed's container mounted at the same place inside the
 * container (read from `podman container inspect`, not guessed from a layout): the same path is
 * reused, another is moved there (a rename on the same file system: nothing is copied) or, with
 * `copy`, copied. One micropod directory fed from two seed directories, or the database service
 * left without its data, is a problem: adopting would start an empty database.
 */
export function planData(suite: Suite, seeds: readonly SeedContainer[], dataDir: string, o: { copy: boolean; database: string }): { steps: DataStep[]; problems: Problem[] } {
  const byPath = new Map<string, { services: string[]; froms: Map<string, string> }>();
  for (const s of suite.services.values()) {
    if (s.buildOnly) continue;
    for (const v of s.volumes) {
      if (v.type !== "bind" || !v.source || !inside(dataDir, v.source)) continue;
      const entry = byPath.get(v.source) ?? { services: [], froms: new Map<string, string>() };
      if (!entry.services.includes(s.name)) entry.services.push(s.name);
      for (const c of seeds.filter((x) => x.successor === s.name)) {
        const m = c.mounts.find((x) => x.type === "bind" && x.destination === v.target);
        if (m && !entry.froms.has(m.source)) entry.froms.set(m.source, c.name);
      }
      byPath.set(v.source, entry);
    }
  }
  const steps: DataStep[] = [];
  const problems: Problem[] = [];
  const claimed = new Map<string, string>();
  for (const [path, { services, froms }] of byPath) {
    if (froms.size > 1) {
      problems.push({ path, message: `the seed mounts different directories here (${[...froms].map(([f, c]) => `${f} in ${c}`).join(", ")}): which one holds the data is not for micropod to guess` });
      continue;
    }
    const [from, seedContainer] = [...froms][0] ?? [];
    if (!from) {
      if (services.includes(o.database)) problems.push({ path, message: `no seed container of ${o.database} mounts a directory here: adopting would start an empty database` });
      steps.push({ path, services, action: "new" });
      continue;
    }
    const action: DataAction = resolve(from) === resolve(path) ? "reuse" : o.copy ? "copy" : "move";
    if (action === "move" && claimed.has(from)) problems.push({ path, message: `${from} is already moved to ${claimed.get(from)}: one directory cannot move to two places (use --copy)` });
    claimed.set(from, path);
    steps.push({ path, services, action, from, seedContainer: seedContainer! });
  }
  return { steps: steps.sort((a, b) => a.path.localeCompare(b.path)), problems };
}

/** What the file system says about the planned steps: sources present, targets free, moves within one file system. */
export async function checkData(steps: readonly DataStep[]): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const s of steps) {
    if (s.action === "new") continue;
    const from = await stat(s.from!).catch(() => undefined);
    if (!from?.isDirectory()) {
      problems.push({ path: s.path, message: `the seed's ${s.from} is not a directory on this host` });
      continue;
    }
    if (s.action === "reuse") continue;
    const target = await stat(s.path).catch(() => undefined);
    if (target && (!target.isDirectory() || (await readdir(s.path)).length > 0)) {
      problems.push({ path: s.path, message: `exists and is not an empty directory: micropod will not put the seed's ${s.from} over it` });
      continue;
    }
    if (s.action === "move" && (await deviceOf(s.path)) !== from.dev) {
      problems.push({ path: s.path, message: `is on another file system than the seed's ${s.from}: moving would copy; pass --copy to copy explicitly` });
    }
  }
  return problems;
}

/** The device of the nearest existing ancestor (where the directory would be created). */
async function deviceOf(path: string): Promise<number | undefined> {
  for (let p = path; ; p = dirname(p)) {
    const st = await stat(p).catch(() => undefined);
    if (st) return st.dev;
    if (dirname(p) === p) return undefined;
  }
}
