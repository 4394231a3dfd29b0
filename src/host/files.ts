import { mkdir, readFile, stat } from "node:fs/promises";
import { writeFileAtomic } from "../core/atomic-write.js";
import { diffLines } from "./diff.js";
import { hostPath } from "./options.js";
import type { HostStep, HostContext } from "./resource.js";

/** The marker every file micropod owns carries; a file without it belongs to the administrator. */
export const MANAGED_MARKER = "managed by micropod";

export function managedHeader(what: string): string {
  return `# ${MANAGED_MARKER}: ${what}\n# Changes here are replaced by \`micropod prepare-host\`; remove this line to keep your own version.\n`;
}

export function isManaged(content: string): boolean {
  return content.split("\n", 5).some((l) => l.startsWith("#") && l.includes(MANAGED_MARKER));
}

export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/**
 * Write `content` to the host path `path` (under --root), atomically, keeping the previous
 * content as `<path>.micropod-backup`. The diff shows host paths, not temp-root ones.
 */
export function writeAction(ctx: Pick<HostContext, "options">, path: string, before: string | undefined, content: string, mode?: number): HostStep {
  return {
    diff: diffLines(path, before, content),
    apply: async () => void (await writeFileAtomic(hostPath(ctx.options, path), content, { backup: true, mkdirs: true, mode })),
  };
}

export function mkdirAction(ctx: Pick<HostContext, "options">, path: string, mode = 0o755): HostStep {
  return {
    diff: [`$ mkdir -p -m ${mode.toString(8)} ${path}`],
    apply: async () => void (await mkdir(hostPath(ctx.options, path), { recursive: true, mode })),
  };
}

export type FileOwnership = "absent" | "managed" | "administrator";

export function ownership(content: string | undefined): FileOwnership {
  if (content === undefined) return "absent";
  return isManaged(content) ? "managed" : "administrator";
}
