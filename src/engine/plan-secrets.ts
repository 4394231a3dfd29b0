import type { Command } from "../core/command.js";
import type { Problem } from "../core/errors.js";
import { releaseBefore } from "../core/version.js";
import { createSecret, removeSecret } from "../podman/secret.js";
import { SECRET_HASH_LABEL, secretFingerprint } from "./hash.js";
import { serviceHost } from "../suite/placement.js";
import { commandOn, observedOn } from "./placement.js";
import type { PlanVars, Planning } from "./planning.js";
import { type MissingSecret, missingSecretWarnings } from "./secret-warnings.js";
import { podmanSecretName } from "./spec.js";

export interface SecretStep {
  readonly name: string;
  /** The host whose podman gets it: each host keeps its own secrets. */
  readonly host: string;
  readonly action: "create" | "update";
  readonly commands: readonly Command[];
}

export interface SecretsPlan {
  readonly steps: SecretStep[];
  /** Each podman secret's value, by podman name: the containers' config hashes include their fingerprints. */
  readonly values: ReadonlyMap<string, string>;
  readonly problems: Problem[];
  readonly warnings: string[];
}

/**
 * The podman secrets the selected services use: the value from the configuration (or a secret
 * file); the fingerprint label on an existing secret decides whether it is replaced. A secret
 * without a value is not created (the services start without it: see secret-warnings.ts).
 */
export function planSecrets(at: Planning, config: PlanVars): SecretsPlan {
  const { suite, observed } = at;
  const values = new Map<string, string>();
  const steps: SecretStep[] = [];
  const problems: Problem[] = [];
  const missing: MissingSecret[] = [];
  const valueOf = (key: string): string | undefined => {
    const src = suite.secrets.get(key);
    if (!src) return undefined;
    return src.environment ? config.vars[src.environment] : observed.secretFiles[key];
  };
  const done = new Set<string>();
  for (const s of at.runnable) {
    const host = serviceHost(s);
    for (const ss of s.secrets) {
      const name = podmanSecretName(suite, ss.source);
      if (done.has(`${host}\0${name}`)) continue;
      if (!suite.secrets.has(ss.source)) {
        problems.push({ path: `services/${s.name}/secrets`, message: `secret ${ss.source} is not declared under the top-level secrets:` });
        continue;
      }
      const value = valueOf(ss.source);
      if (!value) {
        missing.push({ service: s.name, source: ss.source, target: ss.target });
        continue;
      }
      values.set(name, value);
      done.add(`${host}\0${name}`);
      const fp = secretFingerprint(name, value);
      const existing = observedOn(observed, host).secrets[name];
      if (existing && existing.labels[SECRET_HASH_LABEL] === fp) continue;
      const on = (c: Command) => commandOn(suite, host, c);
      const create = on(createSecret(name, value, { [SECRET_HASH_LABEL]: fp, "com.docker.compose.project": suite.project }));
      steps.push(existing ? { name, host, action: "update", commands: [on(removeSecret(name)), create] } : { name, host, action: "create", commands: [create] });
    }
  }
  return { steps, values, problems, warnings: missingSecretWarnings(suite, missing) };
}

/** Plain environment must never carry a secret value: that would put it in argv. */
export function secretsInEnvironment(at: Planning, config: PlanVars): Problem[] {
  const problems: Problem[] = [];
  const secretVals = [...(config.secretNames ?? [])].map((n) => [n, config.vars[n]] as const).filter(([, v]) => v && v.length >= 6);
  for (const s of at.runnable) {
    for (const [k, v] of Object.entries(s.environment)) {
      const hit = secretVals.find(([, sv]) => v.includes(sv!));
      if (hit) problems.push({ path: `services/${s.name}/environment/${k}`, message: `carries the secret ${hit[0]}: pass it with secrets: (a podman secret) instead` });
    }
  }
  return problems;
}

/**
 * podman stopped showing type=env secrets in `podman inspect` with containers/podman commit
 * a5e9b4d126 (issue #23788; RELEASE_NOTES.md, 5.3.0), first tagged v5.3.0-rc1. A `5.3.0-dev` or
 * `5.3.0-rc1` counts as 5.3 (the pre-release suffix is dropped), so only 5.2 and older warn.
 */
const ENV_SECRETS_HIDDEN_SINCE = "5.3.0";

/** The warning for a start that would pass env secrets to a podman that shows them in `inspect`. */
export function envSecretsShownWarning(at: Planning): string[] {
  const version = at.observed.podmanVersion;
  const uses = at.runnable.some((s) => s.secrets.some((x) => x.type === "env" && at.suite.secrets.has(x.source)));
  if (!uses || !version || !releaseBefore(version, ENV_SECRETS_HIDDEN_SINCE)) return [];
  return [`podman ${version} shows type=env secrets in \`podman inspect\` (fixed in podman 5.3): upgrade podman or use file secrets`];
}
