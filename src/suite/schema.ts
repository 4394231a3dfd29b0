import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
// Type-only import: makes tsc copy compose-spec.json next to the compiled module in dist/.
import type ComposeSpec from "./compose-spec.json";
import type { Problem } from "../core/errors.js";

/**
 * The Compose Specification's JSON schema, copied verbatim from
 * https://github.com/compose-spec/compose-spec/blob/main/schema/compose-spec.json
 * (Apache-2.0; at commit a08f8d51631b7127ddac3d2c65537db429d0f1d0, see README.md) so the package
 * validates offline. It is draft-07; its `$schema` URI is spelled with https, which ajv
 * does not know as a meta-schema, so it is dropped before compiling.
 */
let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled) return compiled;
  const raw = readFileSync(new URL("./compose-spec.json", import.meta.url), "utf8");
  const { $schema: _unused, ...schema } = JSON.parse(raw) as typeof ComposeSpec;
  // strict: false because the schema uses annotation keywords (deprecated) ajv's strict mode rejects.
  const ajv = new Ajv({ allErrors: true, strict: false });
  compiled = ajv.compile(schema);
  return compiled;
}

/** Schema problems with Compose paths (`services/web/depends_on`), most specific first. */
export function validateComposeSchema(doc: unknown, file: string): Problem[] {
  const validate = validator();
  if (validate(doc)) return [];
  return summarise(validate.errors ?? []).map((e) => ({ file, path: e.path, message: e.message }));
}

interface Summary {
  readonly path: string;
  readonly message: string;
}

/**
 * ajv reports every failed branch of a oneOf; a reader wants the one that matters. Keep an
 * error only when no other error sits deeper under the same path, and drop the bare
 * "must match exactly one schema in oneOf" when a branch explains itself.
 */
function summarise(errors: readonly ErrorObject[]): Summary[] {
  const items = errors.map((e) => {
    const base = e.instancePath.replace(/^\//, "").replace(/~1/g, "/").replace(/~0/g, "~");
    if (e.keyword === "additionalProperties") {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      return { path: base ? `${base}/${key}` : key, message: "is not a Compose key (extensions must start with x-)" };
    }
    if (e.keyword === "enum") {
      const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
      return { path: base, message: `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}` };
    }
    return { path: base, message: e.message ?? "is invalid" };
  });
  const deeper = (p: string) => items.some((o) => o.path !== p && (p === "" || o.path.startsWith(`${p}/`)));
  const kept = items.filter((e) => !deeper(e.path));
  const seen = new Set<string>();
  return kept.filter((e) => {
    const key = `${e.path}\u0000${e.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
