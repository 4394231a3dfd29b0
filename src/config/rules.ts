import type { Problem } from "../core/errors.js";
import { decodeUrlSafeBase64 } from "./formats.js";
import type { LocatedValue } from "./schema.js";
import { vapidPublicKeyOf } from "./secrets.js";
import { variableByName } from "./variables.js";

type Values = ReadonlyMap<string, LocatedValue>;

/** Needed when a switch is on: S3_ENABLED=true needs where and how to reach the bucket. */
const requiredWhenEnabled: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["S3_ENABLED", ["S3_BUCKET", "S3_ENDPOINT", "S3_ALIAS_HOST", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY"]],
  ["ELASTIC_ENABLED", ["ELASTIC_HOST", "ELASTIC_PORT"]],
];

/** Meaningless alone: a login without its password, half a key pair. */
const setTogether: ReadonlyArray<readonly [string, string]> = [
  ["VAPID_PRIVATE_KEY", "VAPID_PUBLIC_KEY"],
  ["MY_MAIL_USER", "MY_MAIL_PASSWORD"],
];

/** Ports on the S3 server only mean something with its address. */
const needs: ReadonlyArray<readonly [string, string]> = [
  ["S3_READ_PORT_NUMBER", "S3_IP_ADDRESS_1"],
  ["S3_WRITE_PORT_NUMBER", "S3_IP_ADDRESS_1"],
];

/**
 * Step three of loading: rules between variables, on the values after defaults. A problem
 * points at the line that set the missing variable blank, else at the line that asked for it.
 */
export function crossFieldProblems(values: Values, blanks: Values, envFile: string): Problem[] {
  const problems: Problem[] = [];
  const at = (name: string, because?: string): Pick<Problem, "file" | "line"> => {
    const where = blanks.get(name) ?? (because !== undefined ? values.get(because) : undefined);
    return { file: where?.file ?? envFile, line: where?.line };
  };
  const expected = (name: string): string => variableByName.get(name)!.kind.expected;
  // A variable is named as the file spells it (the seed's MY_MAIL_USERNAME), else by its own name.
  const spelled = (name: string): string => values.get(name)?.name ?? blanks.get(name)?.name ?? name;

  if (!values.has("IP4_ADDRESS") && !values.has("IP6_ADDRESS")) {
    problems.push({ ...at("IP4_ADDRESS"), path: "IP4_ADDRESS", message: "set IP4_ADDRESS, IP6_ADDRESS or both: haproxy needs a public address to bind" });
  }
  for (const [flag, required] of requiredWhenEnabled) {
    const switched = values.get(flag);
    if (switched?.value !== "true") continue;
    const when = `${spelled(flag)}=true${switched.because ? ` (as ${switched.because} is set)` : ""}`;
    for (const name of required) {
      if (!values.has(name)) problems.push({ ...at(name, flag), path: spelled(name), message: `required when ${when}: expected ${expected(name)}` });
    }
  }
  for (const [a, b] of setTogether) {
    const [present, missing] = values.has(a) ? [a, b] : [b, a];
    if (values.has(present) && !values.has(missing)) {
      problems.push({ ...at(missing, present), path: spelled(missing), message: `required because ${spelled(present)} is set (they go together): expected ${expected(missing)}` });
    }
  }
  for (const [name, needed] of needs) {
    if (values.has(name) && !values.has(needed)) {
      problems.push({ ...at(needed, name), path: spelled(needed), message: `required because ${spelled(name)} is set: expected ${expected(needed)}` });
    }
  }
  const vapidPrivate = values.get("VAPID_PRIVATE_KEY");
  const vapidPublic = values.get("VAPID_PUBLIC_KEY");
  if (vapidPrivate && vapidPublic) {
    const derived = vapidPublicKeyOf(vapidPrivate.value);
    const given = decodeUrlSafeBase64(vapidPublic.value);
    if (derived && given && !derived.equals(given)) {
      problems.push({ file: vapidPublic.file, line: vapidPublic.line, path: "VAPID_PUBLIC_KEY", message: "is not the public key of VAPID_PRIVATE_KEY: set the pair printed together, or leave both blank to generate one" });
    }
  }
  return problems;
}
