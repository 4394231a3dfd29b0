import { createHash } from "node:crypto";

/** Labels micropod writes and reads back to decide what to rebuild, recreate or replace. */
export const CONFIG_HASH_LABEL = "micropod.config-hash";
export const INPUT_HASH_LABEL = "micropod.input-hash";
export const SECRET_HASH_LABEL = "micropod.value-hash";

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** Canonical JSON: object keys sorted, so equal values always hash equally. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v);
}

export const hashOf = (v: unknown): string => sha256(canonical(v));

/**
 * A secret's fingerprint, kept as a label on the podman secret so a changed value is noticed.
 * Salted with the secret's name; readable only by whoever can already read podman's secret store
 * (root on FreeBSD), where the value itself lies in the clear.
 */
export const secretFingerprint = (name: string, value: string): string => sha256(`micropod-secret\0${name}\0${value}`).slice(0, 32);
