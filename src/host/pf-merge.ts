import { parsePf, requiredStatements, type Statement } from "./pf-rules.js";

export interface PfMerge {
  /** The administrator's file with micropod's missing statements added (and, forced, conflicts replaced). */
  readonly content: string;
  readonly added: readonly string[];
  /** The administrator's statements that say something else under the same name. */
  readonly conflicts: readonly { readonly theirs: string; readonly ours: string }[];
}

const ADDED = "# added by micropod prepare-host: needed by podman's networks";

/**
 * Merge micropod's required statements into an administrator's pf.conf: only what is missing,
 * each in the section pf requires (definitions before the first rule, translation before the
 * first filter rule, filter rules at the end). A statement with the same name but other content
 * (`table <cni-nat>` with other networks, a NAT rule for the same source on another interface)
 * is a conflict: it is replaced in the result, and the caller refuses unless forced.
 */
export function mergePfConf(admin: string, rendered: string): PfMerge {
  const lines = admin.split("\n");
  const trailingNewline = admin.endsWith("\n");
  if (trailingNewline) lines.pop();
  const theirs = parsePf(lines.join("\n"));
  const renderedLines = rendered.split("\n");
  const original = (s: Statement) => renderedLines.slice(s.line, s.line + s.span);

  const replace = new Map<number, { span: number; with: string[] }>();
  const missing: Record<"definition" | "translation" | "filter", string[]> = { definition: [], translation: [], filter: [] };
  const added: string[] = [];
  const conflicts: { theirs: string; ours: string }[] = [];
  for (const ours of requiredStatements(rendered)) {
    if (theirs.some((t) => t.text === ours.text)) continue;
    const same = ours.key ? theirs.find((t) => t.key === ours.key) : undefined;
    if (same) {
      conflicts.push({ theirs: same.text, ours: ours.text });
      replace.set(same.line, { span: same.span, with: original(ours) });
      continue;
    }
    const bucket = ours.section === "definition" ? "definition" : ours.section === "translation" ? "translation" : "filter";
    missing[bucket].push(...original(ours));
    added.push(ours.text);
  }

  const firstRule = theirs.find((t) => t.section !== "definition")?.line ?? lines.length;
  const firstFilter = theirs.find((t) => t.section === "filter")?.line ?? lines.length;
  const insertAt = new Map<number, string[]>();
  const insert = (at: number, block: string[]) => {
    if (block.length) insertAt.set(at, [...(insertAt.get(at) ?? []), ADDED, ...block]);
  };
  insert(firstRule, missing.definition);
  insert(firstFilter, missing.translation);
  insert(lines.length, missing.filter);

  const out: string[] = [];
  for (let i = 0; i <= lines.length; i++) {
    out.push(...(insertAt.get(i) ?? []));
    if (i === lines.length) break;
    const r = replace.get(i);
    if (r) {
      out.push(...r.with);
      i += r.span - 1;
    } else out.push(lines[i]!);
  }
  return { content: `${out.join("\n")}${trailingNewline || out.length ? "\n" : ""}`, added, conflicts };
}
