import { coversNames } from "./names.js";
import { type CertificateInfo, daysLeft } from "./pem.js";

/** Renew when fewer than this many days remain (Let's Encrypt certificates last 90). */
export const RENEW_BEFORE_DAYS = 30;

/**
 * The renewal point of one certificate: 30 days before it expires, or halfway through its life
 * when that comes later. Let's Encrypt's default lifetime drops to 64 days in February 2027 and
 * to 45 in February 2028 (https://letsencrypt.org/2025/12/02/from-90-to-45): 30 days still
 * applies to the first, 22 to the second, and a certificate shorter than 60 days is never
 * renewed at every run.
 */
export function renewBeforeDays(info: Pick<CertificateInfo, "notBefore" | "notAfter">): number {
  const lifetimeDays = (info.notAfter.getTime() - info.notBefore.getTime()) / 86_400_000;
  return Math.min(RENEW_BEFORE_DAYS, Math.floor(lifetimeDays / 2));
}
/** A failed renewal alerts once fewer than this many days remain. */
export const ALERT_BELOW_DAYS = 14;

export type RenewalDecision = { readonly order: true; readonly reason: string } | { readonly order: false; readonly reason: string };

/**
 * Whether this run orders a certificate: when there is none (for `renew`, one micropod issued
 * before has disappeared), when it lacks a name, when renewal is due, or when forced. `renew`
 * runs only once `issue` has (renew.ts), so the schedule never touches a certificate micropod
 * did not obtain.
 */
export function decideRenewal(mode: "issue" | "renew", current: CertificateInfo | undefined, names: readonly string[], nowMs: number, force: boolean): RenewalDecision {
  if (!current) {
    return mode === "issue" ? { order: true, reason: "no certificate yet" } : { order: true, reason: "the certificate is gone" };
  }
  const days = daysLeft(current, nowMs);
  if (!coversNames(current.names, names)) return { order: true, reason: `the certificate covers ${current.names.join(", ")}, not ${names.join(", ")}` };
  if (force) return { order: true, reason: `forced (${days} days left)` };
  const renewAt = renewBeforeDays(current);
  if (days < renewAt) return { order: true, reason: days < 0 ? `expired ${-days} days ago` : `${days} days left, under ${renewAt}` };
  return { order: false, reason: `${days} days left; renewal starts at ${renewAt}${mode === "issue" ? " (`micropod certs renew --force` replaces it now)" : ""}` };
}
