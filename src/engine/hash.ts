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

/**
 * Beside each hash, a short fingerprint of each of its inputs ("env=1a2b3c,image=4d5e6f"), kept as
 * a label too: the next plan compares them to say which input changed ("definition changed: env,
 * volumes"), where the hash alone says only that something did.
 */
export const CONFIG_PARTS_LABEL = "micropod.config-parts";
export const INPUT_PARTS_LABEL = "micropod.input-parts";

/** Each input's fingerprint, as the parts label spells them: `key=hash` pairs, keys sorted, undefined inputs left out. */
export function partsLabel(inputs: Readonly<Record<string, unknown>>): string {
  return Object.keys(inputs)
    .filter((k) => inputs[k] !== undefined)
    .sort()
    .map((k) => `${k}=${hashOf(inputs[k]).slice(0, 8)}`)
    .join(",");
}

/**
 * The inputs whose fingerprints differ between two parts labels (an input present in only one of
 * them counts), sorted; undefined when the old label is missing or unreadable (made by an older
 * micropod, or not by micropod): then only the hash says something changed.
 */
export function changedParts(before: string | undefined, after: string): string[] | undefined {
  const parse = (label: string) => new Map(label.split(",").filter(Boolean).map((kv) => kv.split("=", 2) as [string, string]));
  if (!before || !/^([\w-]+=[0-9a-f]+)(,[\w-]+=[0-9a-f]+)*$/.test(before)) return undefined;
  const a = parse(before);
  const b = parse(after);
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
}
