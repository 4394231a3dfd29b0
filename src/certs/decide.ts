import { coversNames } from "./names.js";
import { type CertificateInfo, daysLeft } from "./pem.js";

/** Renew when fewer than this many days remain (Let's Encrypt certificates last 90). */
export const RENEW_BEFORE_DAYS = 30;
/** A failed renewal alerts once fewer than this many days remain. */
export const ALERT_BELOW_DAYS = 14;

export type Decision = { readonly order: true; readonly reason: string } | { readonly order: false; readonly reason: string };

/**
 * Whether this run orders a certificate: when there is none (for `renew`, one micropod issued
 * before has disappeared), when it lacks a name, when renewal is due, or when forced. `renew`
 * runs only once `issue` has (renew.ts), so the schedule never touches a certificate micropod
 * did not obtain.
 */
export function decide(mode: "issue" | "renew", current: CertificateInfo | undefined, names: readonly string[], nowMs: number, force: boolean): Decision {
  if (!current) {
    return mode === "issue" ? { order: true, reason: "no certificate yet" } : { order: true, reason: "the certificate is gone" };
  }
  const days = daysLeft(current, nowMs);
  if (!coversNames(current.names, names)) return { order: true, reason: `the certificate covers ${current.names.join(", ")}, not ${names.join(", ")}` };
  if (force) return { order: true, reason: `forced (${days} days left)` };
  if (days < RENEW_BEFORE_DAYS) return { order: true, reason: days < 0 ? `expired ${-days} days ago` : `${days} days left, under ${RENEW_BEFORE_DAYS}` };
  return { order: false, reason: `${days} days left; renewal starts at ${RENEW_BEFORE_DAYS}${mode === "issue" ? " (`micropod certs renew --force` replaces it now)" : ""}` };
}
