/**
 * Compose variable interpolation, with the semantics of compose-go's `template` package (the
 * reference implementation of the Compose Specification's "Interpolation" section):
 *
 *   $$            a literal $
 *   $VAR ${VAR}   the value, or "" when unset (Compose warns; so do we)
 *   ${VAR:-d}     d when VAR is unset or empty        ${VAR-d}  d when VAR is unset
 *   ${VAR:?msg}   error when VAR is unset or empty    ${VAR?msg} error when VAR is unset
 *   ${VAR:+alt}   alt when VAR is set and not empty   ${VAR+alt} alt when VAR is set
 *
 * Names are [_A-Za-z][_A-Za-z0-9]* (case-insensitive pattern, as compose-go). The d/msg/alt
 * text may itself hold interpolations (`${A:-${B}}`), evaluated only when used. A `$` not
 * followed by `$`, a name or `{` stays literal; `${` without a valid name and operator, or
 * without its closing brace, is an invalid template.
 */
export type Vars = Readonly<Record<string, string>>;

/** `malformed`: the template itself is invalid (its text may be a secret); `missing`: a required variable has no value. */
export class InterpolationError extends Error {
  constructor(
    message: string,
    readonly kind: "malformed" | "missing",
  ) {
    super(message);
  }
}

export interface InterpolationResult {
  readonly value: string;
  /** Variables referenced without a default that were unset (Compose substitutes ""). */
  readonly unset: readonly string[];
}

const NAME_START = /[_A-Za-z]/;
const NAME_CHAR = /[_A-Za-z0-9]/;
const OPERATORS = [":-", ":?", ":+", "-", "?", "+"] as const;

export function interpolate(template: string, vars: Vars): InterpolationResult {
  const unset: string[] = [];
  const value = substitute(template, vars, unset);
  return { value, unset };
}

function lookup(vars: Vars, name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : undefined;
}

function substitute(template: string, vars: Vars, unset: string[]): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const ch = template[i]!;
    if (ch !== "$") {
      out += ch;
      i += 1;
      continue;
    }
    const next = template[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
    } else if (next !== undefined && NAME_START.test(next)) {
      let end = i + 2;
      while (end < template.length && NAME_CHAR.test(template[end]!)) end += 1;
      const name = template.slice(i + 1, end);
      const v = lookup(vars, name);
      if (v === undefined) unset.push(name);
      out += v ?? "";
      i = end;
    } else if (next === "{") {
      const close = closingBrace(template, i + 1);
      if (close < 0) throw new InterpolationError(`invalid template ${JSON.stringify(template)}: "\${" without a closing "}"`, "malformed");
      out += braced(template.slice(i + 2, close), template, vars, unset);
      i = close + 1;
    } else {
      out += "$";
      i += 1;
    }
  }
  return out;
}

/** Index of the `}` closing the `{` at `open`, counting nested `${...}` pairs. */
function closingBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === "{") depth += 1;
    else if (s[i] === "}") {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  return -1;
}

function braced(body: string, template: string, vars: Vars, unset: string[]): string {
  let end = 0;
  if (body.length === 0 || !NAME_START.test(body[0]!)) throw invalid(template);
  while (end < body.length && NAME_CHAR.test(body[end]!)) end += 1;
  const name = body.slice(0, end);
  const rest = body.slice(end);
  const value = lookup(vars, name);
  if (rest === "") {
    if (value === undefined) unset.push(name);
    return value ?? "";
  }
  const op = OPERATORS.find((o) => rest.startsWith(o));
  if (!op) throw invalid(template);
  const arg = rest.slice(op.length);
  const isSet = value !== undefined;
  const isFilled = isSet && value !== "";
  switch (op) {
    case ":-":
      return isFilled ? value : substitute(arg, vars, unset);
    case "-":
      return isSet ? value : substitute(arg, vars, unset);
    case ":+":
      return isFilled ? substitute(arg, vars, unset) : "";
    case "+":
      return isSet ? substitute(arg, vars, unset) : "";
    case ":?":
    case "?": {
      if (op === ":?" ? isFilled : isSet) return value!;
      const reason = substitute(arg, vars, unset);
      throw new InterpolationError(`required variable ${name} is missing a value${reason ? `: ${reason}` : ""}`, "missing");
    }
  }
}

function invalid(template: string): InterpolationError {
  return new InterpolationError(`invalid template ${JSON.stringify(template)}`, "malformed");
}
