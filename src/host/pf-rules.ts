import { readFile } from "node:fs/promises";
import { join } from "node:path";

/** The template shipped in pf/; `@V4_EGRESS@` and `@V6_EGRESS@` are the only placeholders. */
export const PF_TEMPLATE = join("pf", "pf.conf.in");

/** Lines from this comment on are the template's host policy, never merged into an administrator's file. */
const HOST_POLICY = /^#\s*host policy\b/;

export interface Egress {
  readonly v4: string;
  readonly v6: string;
}

export async function renderPfConf(packageDir: string, egress: Egress): Promise<string> {
  const template = await readFile(join(packageDir, PF_TEMPLATE), "utf8");
  return template.replaceAll("@V4_EGRESS@", egress.v4).replaceAll("@V6_EGRESS@", egress.v6);
}

/** The sections of a pf.conf, in the order pfctl requires them. */
export type Section = "definition" | "option" | "normalization" | "queueing" | "translation" | "filter";

export interface Statement {
  /** Index of the statement's first physical line. */
  readonly line: number;
  /** Physical lines it spans (continuations end in a backslash). */
  readonly span: number;
  /** Whitespace-collapsed text without comments: what two statements are compared by. */
  readonly text: string;
  readonly section: Section;
  /** What makes two statements the same thing with different content (a macro's name, a table's name, a NAT rule's family and source). */
  readonly key?: string;
}

export function parsePf(content: string): Statement[] {
  const lines = content.split("\n");
  const out: Statement[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let text = stripComment(lines[i]!);
    while (text.endsWith("\\") && i + 1 < lines.length) text = `${text.slice(0, -1)} ${stripComment(lines[++i]!)}`;
    text = text.replace(/\s+/g, " ").trim();
    if (!text) continue;
    out.push({ line: start, span: i - start + 1, text, section: sectionOf(text), key: keyOf(text) });
  }
  return out;
}

/** The statements of micropod's own rendering that an administrator's file must contain. */
export function requiredStatements(rendered: string): Statement[] {
  const lines = rendered.split("\n");
  const cut = lines.findIndex((l) => HOST_POLICY.test(l));
  return parsePf(cut < 0 ? rendered : lines.slice(0, cut).join("\n"));
}

function stripComment(line: string): string {
  // pf has no '#' inside quoted strings in anything micropod writes or matches on.
  const hash = line.indexOf("#");
  return (hash < 0 ? line : line.slice(0, hash)).trimEnd();
}

function sectionOf(text: string): Section {
  const word = text.split(" ", 1)[0]!;
  if (/^[A-Za-z_][A-Za-z0-9_]*\s*=/.test(text) || word === "table" || word === "include") return "definition";
  if (word === "set") return "option";
  if (word === "scrub") return "normalization";
  if (word === "altq" || word === "queue") return "queueing";
  if (/^(no )?(nat|rdr|binat)\b/.test(text) || /^(nat|rdr|binat)-anchor\b/.test(text)) return "translation";
  return "filter";
}

function keyOf(text: string): string | undefined {
  const macro = /^([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(text);
  if (macro) return `macro ${macro[1]}`;
  const table = /^table (<[^>]+>)/.exec(text);
  if (table) return `table ${table[1]}`;
  const nat = /^nat on \S+ (inet6?) from (<[^>]+>)/.exec(text);
  if (nat) return `nat ${nat[1]} from ${nat[2]}`;
  return undefined;
}
