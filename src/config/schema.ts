import { Ajv, type ErrorObject, type SchemaObject } from "ajv";
import type { Problem } from "../core/errors.js";
import { formats } from "./formats.js";
import { variableByName, variables } from "./variables.js";

/** A value and where it was written, so a problem can name file and line. */
export interface LocatedValue {
  readonly value: string;
  readonly file: string;
  readonly line?: number;
  /** The name it was written under, when that is an alias (the seed's DB_PASSWORD for DB_PASS). */
  readonly name?: string;
  /** For a default chosen because another variable is set (S3_ENABLED by S3_ACCESS_KEY_ID): that variable, as spelled. */
  readonly because?: string;
}

/**
 * The JSON schema of a .env (every value a string), made from the variable table. Annotations
 * `x-secret`, `x-generated` and `x-expected` carry what the table says beyond plain JSON schema.
 */
export function configJsonSchema(): SchemaObject {
  const properties: Record<string, SchemaObject> = {};
  for (const v of variables) {
    properties[v.name] = {
      type: "string",
      description: v.description,
      ...v.kind.schema,
      ...(v.default !== undefined ? { default: v.default } : {}),
      "x-secret": Boolean(v.secret),
      "x-generated": Boolean(v.generated),
      "x-expected": v.kind.expected,
    };
  }
  return {
    $id: "https://micropod.invalid/config.schema.json",
    type: "object",
    properties,
    required: variables.filter((v) => v.required).map((v) => v.name),
    // Unknown names are judged by typos.ts (error when close to a known name, else passed through).
    additionalProperties: true,
  };
}

let compiled: ReturnType<Ajv["compile"]> | undefined;

function validator(): ReturnType<Ajv["compile"]> {
  if (compiled) return compiled;
  const ajv = new Ajv({ allErrors: true, strict: true });
  ajv.addVocabulary(["x-secret", "x-generated", "x-expected"]);
  for (const [name, check] of Object.entries(formats)) ajv.addFormat(name, { type: "string", validate: check });
  compiled = ajv.compile(configJsonSchema());
  return compiled;
}

/**
 * Step one of loading: check every known variable's value against the schema. Returns one
 * problem per variable (however many schema keywords it broke), located where it was written.
 * `blanks` locates variables written as `NAME=` so a missing required one points at its line.
 */
export function validateValues(values: ReadonlyMap<string, LocatedValue>, blanks: ReadonlyMap<string, LocatedValue>, envFile: string): Problem[] {
  const data: Record<string, string> = {};
  for (const [name, v] of values) if (variableByName.has(name)) data[name] = v.value;
  const validate = validator();
  if (validate(data)) return [];
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const err of validate.errors ?? []) {
    const name = errorVariable(err);
    if (name === undefined || seen.has(name)) continue;
    seen.add(name);
    const spec = variableByName.get(name)!;
    if (err.keyword === "required") {
      const blank = blanks.get(name);
      problems.push({ file: blank?.file ?? envFile, line: blank?.line, path: name, message: `required, but ${blank ? "blank" : "not set"}: expected ${spec.kind.expected}` });
      continue;
    }
    const at = values.get(name)!;
    const shown = spec.secret ? "" : ` (got ${JSON.stringify(at.value)})`;
    problems.push({ file: at.file, line: at.line, path: at.name ?? name, message: `expected ${spec.kind.expected}${shown}` });
  }
  return problems;
}

function errorVariable(err: ErrorObject): string | undefined {
  if (err.keyword === "required") return (err.params as { missingProperty: string }).missingProperty;
  const name = err.instancePath.split("/")[1];
  return name && variableByName.has(name) ? name : undefined;
}
