import { readdir } from "node:fs/promises";
import { dirname, join } from "node:path";
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

/**
 * The files haproxy loads from its `crt` directory: all but dot files and the reserved
 * extensions (HAProxy configuration manual, `crt <cert>`), in the alphabetic order it uses.
 */
async function servedFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((f) => !f.startsWith(".") && !/\.(key|issuer|ocsp|sctl)$/.test(f)).sort().map((f) => join(dir, f));
}

export async function certificateStatus(certFile: string, wanted: readonly string[], nowMs: number, state?: CertsState, notes: readonly string[] = []): Promise<CertStatus> {
  const others = (await servedFiles(dirname(certFile))).filter((f) => f !== certFile);
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
 * For `micropod doctor`: the certificate in haproxy's directory that expires first (doctor reads
 * `<DATA_DIR>/certs`, the bundled suite's mount; layout.ts finds it for any compose file), as one
 * finding: ok from the renewal point, warn below it, fix below 14 days, or when a file there is
 * not a certificate haproxy could load.
 */
export async function certificateFinding(certDir: string, nowMs: number): Promise<{ level: "ok" | "warn" | "fix"; subject: string; message: string; fix?: string }> {
  const subject = "certificate";
  const files = await servedFiles(certDir);
  if (files.length === 0) return { level: "warn", subject, message: `no certificate in ${certDir}: haproxy serves HTTP only`, fix: "micropod certs issue" };
  let first: { file: string; info: CertificateInfo } | undefined;
  for (const file of files) {
    let info: CertificateInfo;
    try {
      info = readCertificateInfo((await readIfExists(file)) ?? "");
    } catch (err) {
      return { level: "fix", subject, message: `${file} holds no readable certificate (${(err as Error).message}); haproxy loads every file there`, fix: "micropod certs issue, after moving the file away" };
    }
    if (!first || info.notAfter < first.info.notAfter) first = { file, info };
  }
  const { file, info } = first!;
  const days = daysLeft(info, nowMs);
  const what = `${info.names.join(", ")} (${file}): ${days < 0 ? `expired ${-days} days ago` : `${days} days left`}, until ${info.notAfter.toISOString()}`;
  if (days < ALERT_BELOW_DAYS) return { level: "fix", subject, message: `${what}; renewal has not succeeded`, fix: "micropod certs renew (then micropod certs status for the error)" };
  if (days < renewBeforeDays(info)) return { level: "warn", subject, message: `${what}; renewal is due`, fix: "micropod certs renew" };
  return { level: "ok", subject, message: what };
}
