import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { readIfExists } from "../host/files.js";
import { ALERT_BELOW_DAYS, renewBeforeDays } from "./decide.js";
import { coversNames } from "./names.js";
import { type CertificateInfo, daysLeft, readCertificateInfo } from "./pem.js";
import type { CertsState } from "./state.js";

export interface CertStatus {
  readonly file: string;
  readonly wanted: readonly string[];
  readonly certificate?: CertificateInfo;
  readonly daysLeft?: number;
  readonly unreadable?: string;
  /** Other PEM files in haproxy's directory: haproxy serves them too. */
  readonly others: readonly string[];
  readonly state?: CertsState;
  readonly notes: readonly string[];
}

export async function certificateStatus(certFile: string, wanted: readonly string[], nowMs: number, state?: CertsState, notes: readonly string[] = []): Promise<CertStatus> {
  const dir = join(certFile, "..");
  const others = (await readdir(dir).catch(() => [] as string[])).filter((f) => !f.startsWith(".") && join(dir, f) !== certFile).map((f) => join(dir, f));
  const base = { file: certFile, wanted, others, notes, ...(state ? { state } : {}) };
  const pem = await readIfExists(certFile);
  if (pem === undefined) return base;
  try {
    const certificate = readCertificateInfo(pem);
    return { ...base, certificate, daysLeft: daysLeft(certificate, nowMs) };
  } catch (err) {
    return { ...base, unreadable: (err as Error).message };
  }
}

export function renderCertStatus(s: CertStatus): string {
  const lines: string[] = [];
  const c = s.certificate;
  if (c) {
    lines.push(`certificate  ${s.file}`);
    lines.push(`names        ${c.names.join(", ")}${coversNames(c.names, s.wanted) ? "" : `  (wanted: ${s.wanted.join(", ")}; \`micropod certs issue\` orders them)`}`);
    lines.push(`valid        ${c.notBefore.toISOString()} to ${c.notAfter.toISOString()}: ${s.daysLeft} days left (renewal under ${renewBeforeDays(c)}, alert under ${ALERT_BELOW_DAYS})`);
    lines.push(`issuer       ${c.issuer}`);
    lines.push(`serial       ${c.serial}`);
  } else {
    lines.push(`certificate  none at ${s.file}${s.unreadable ? ` (unreadable: ${s.unreadable})` : ""}: haproxy serves HTTP only; \`micropod certs issue\` obtains one for ${s.wanted.join(", ")}`);
  }
  if (s.state) {
    lines.push(`directory    ${s.state.directoryUrl}${s.state.caFile ? ` (trusting ${s.state.caFile})` : ""}`);
    const a = s.state.lastAttempt;
    if (a) lines.push(`last run     ${a.at}: ${a.ok ? "ok" : `failed: ${a.error ?? "unknown error"}`}`);
    if (s.state.reloadPending) lines.push("reload       pending: the next `micropod certs renew` reloads haproxy");
  }
  for (const o of s.others) lines.push(`also served  ${o} (haproxy loads every file in the directory)`);
  for (const n of s.notes) lines.push(`note         ${n}`);
  return lines.join("\n");
}

/**
 * For `micropod doctor`: days left on the suite's certificate, as one finding. `certFile` is
 * `<DATA_DIR>/certs/<DOMAIN>.pem` for the bundled suite (see layout.ts for any other).
 */
export async function certificateFinding(certFile: string, nowMs: number): Promise<{ level: "ok" | "warn" | "fix"; subject: string; message: string; fix?: string }> {
  const pem = await readIfExists(certFile).catch((err: Error) => `unreadable: ${err.message}`);
  if (pem === undefined) return { level: "warn", subject: "certificate", message: `no certificate at ${certFile}: haproxy serves HTTP only`, fix: "micropod certs issue" };
  let info: CertificateInfo;
  try {
    info = readCertificateInfo(pem);
  } catch (err) {
    return { level: "fix", subject: "certificate", message: `${certFile} holds no readable certificate (${(err as Error).message})`, fix: "micropod certs issue" };
  }
  const days = daysLeft(info, nowMs);
  const what = `${info.names.join(", ")}: ${days < 0 ? `expired ${-days} days ago` : `${days} days left`} (until ${info.notAfter.toISOString()})`;
  if (days < ALERT_BELOW_DAYS) return { level: "fix", subject: "certificate", message: `${what}; renewal has not succeeded`, fix: "micropod certs renew (then micropod certs status for the error)" };
  if (days < renewBeforeDays(info)) return { level: "warn", subject: "certificate", message: `${what}; renewal is due`, fix: "micropod certs renew" };
  return { level: "ok", subject: "certificate", message: what };
}
