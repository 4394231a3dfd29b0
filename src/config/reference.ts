import { PROFILES_VARIABLE } from "./profiles.js";
import { canonicalName, derivedVariables, seedVariables, variableByName, variables, type VariableSpec } from "./variables.js";

/**
 * sample.env and the table in docs/configuration.md, rendered from the variable table so they
 * cannot drift from the schema (a unit test compares the committed files with these).
 */
export function renderSampleEnv(): string {
  const out = [
    "# micropod configuration: copy to .env (or /usr/local/etc/micropod/micropod.env) and edit.",
    "# One KEY=value a line; # starts a comment; 'single' and \"double\" quotes work as in a shell.",
    "# A blank value means the default. Secrets left blank are generated once and kept in",
    "# DATA_DIR/private/secrets.env (mode 0600); a value written here always wins over that file.",
    "# Documentation values: example.org, 192.0.2.0/24, 2001:db8::/32. See docs/configuration.md.",
  ];
  let group = "";
  for (const v of variables) {
    if (v.group !== group) {
      group = v.group;
      out.push("", `# ---- ${group} ----`);
    }
    out.push("", ...wrap(v.description).map((l) => `# ${l}`), `# Form: ${v.kind.expected}.`, `# ${facts(v)}`, `${v.name}=${sampleValue(v)}`);
  }
  return `${out.join("\n")}\n`;
}

function sampleValue(v: VariableSpec): string {
  if (v.secret) return "";
  if (v.example !== undefined) return v.example;
  // A default that depends on other variables only applies when the line is left blank.
  if (v.default !== undefined && !v.default.includes("${") && !v.defaultWhenSet && !v.defaultWithProfile) return v.default;
  return "";
}

function facts(v: VariableSpec): string {
  const need = v.required ? "Required" : v.default !== undefined ? `Default: ${defaultText(v)}` : "Optional";
  const secret = v.secret ? (v.generated ? "Secret, generated when blank" : "Secret, never generated") : v.generated ? "Not secret, generated with its pair" : "Not secret";
  const seed = v.aliases?.length ? ` Also read as ${v.aliases.join(", ")} (the seed suite's name).` : "";
  return `${need}. ${secret}.${seed}`;
}

function defaultText(v: VariableSpec, code = (s: string) => s): string {
  const when = v.defaultWhenSet ? `; ${code(v.defaultWhenSet.value)} when ${v.defaultWhenSet.variable} is set` : "";
  const profile = v.defaultWithProfile ? ` when ${PROFILES_VARIABLE} has ${v.defaultWithProfile} (else unset)` : "";
  return `${code(v.default!)}${profile}${when}`;
}

function wrap(text: string, width = 96): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

export function renderVariablesTable(): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|");
  const rows = variables.map((v) => {
    const def = v.required ? "required" : v.default !== undefined ? defaultText(v, (x) => `\`${x}\``) : "";
    const secret = v.secret ? (v.generated ? "yes, generated" : "yes") : v.generated ? "no, generated" : "no";
    const aliases = v.aliases?.length ? ` (seed: ${v.aliases.map((a) => `\`${a}\``).join(", ")})` : "";
    return `| \`${v.name}\`${aliases} | ${cell(v.description)} | ${cell(v.kind.expected)} | ${def} | ${secret} |`;
  });
  return ["| variable | what it is | form | default | secret |", "| --- | --- | --- | --- | --- |", ...rows].join("\n");
}

export function renderDerivedTable(): string {
  const rows = Object.entries(derivedVariables).map(([name, source]) => `| \`${name}\` | \`${source}\` |`);
  return ["| Mastodon name | copied from |", "| --- | --- |", ...rows].join("\n");
}

/** The seed suite's sample .env, name by name: the micropod variable it is read as and where its value ends up. */
export function renderSeedTable(): string {
  const rows = seedVariables.map((seed) => {
    const name = canonicalName(seed)!;
    return `| \`${seed}\` | ${name === seed ? "same" : `\`${name}\``} | ${variableByName.get(name)!.usedBy!.replace(/\|/g, "\\|")} |`;
  });
  return ["| seed name | micropod name | where it is used |", "| --- | --- | --- |", ...rows].join("\n");
}
