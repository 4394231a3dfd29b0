import { X509Certificate, createPrivateKey } from "node:crypto";

/**
 * The PEM haproxy's `crt` takes: the certificate, its intermediates and the private key in one
 * file (HAProxy configuration manual, `crt <cert>`: "a PEM file containing both the required
 * certificates and any associated private keys ... built by concatenating multiple PEM files").
 */
export function combinedPem(chainPem: string, keyPem: string): string {
  const chain = chainPem.trim();
  const key = keyPem.trim();
  return `${chain}\n${key}\n`;
}

export interface CertificateInfo {
  readonly names: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly serial: string;
  readonly issuer: string;
  readonly fingerprint256: string;
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const KEY_BLOCK = /-----BEGIN (?:EC |RSA )?PRIVATE KEY-----[\s\S]+?-----END (?:EC |RSA )?PRIVATE KEY-----/;

export function certificateBlocks(pem: string): string[] {
  return pem.match(CERT_BLOCK) ?? [];
}

/** What the leaf certificate of a PEM says (the first certificate in it). */
export function readCertificateInfo(pem: string): CertificateInfo {
  const [leaf] = certificateBlocks(pem);
  if (!leaf) throw new Error("no certificate in the PEM");
  const x = new X509Certificate(leaf);
  const names = (x.subjectAltName ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.startsWith("DNS:"))
    .map((s) => s.slice(4));
  return {
    names,
    notBefore: new Date(x.validFrom),
    notAfter: new Date(x.validTo),
    serial: x.serialNumber,
    issuer: x.issuer.replace(/\n/g, ", "),
    fingerprint256: x.fingerprint256,
  };
}

/**
 * Refuse a combined PEM haproxy would refuse or serve wrongly: no certificate, no key, or a key
 * that is not the leaf certificate's. Checked before the file replaces the one haproxy serves.
 */
export function checkCombinedPem(pem: string): CertificateInfo {
  const [leaf] = certificateBlocks(pem);
  const key = KEY_BLOCK.exec(pem)?.[0];
  if (!leaf) throw new Error("the PEM holds no certificate");
  if (!key) throw new Error("the PEM holds no private key");
  if (!new X509Certificate(leaf).checkPrivateKey(createPrivateKey(key))) throw new Error("the private key does not belong to the certificate");
  return readCertificateInfo(pem);
}

const DAY_MS = 86_400_000;

/** Whole days from `nowMs` until the certificate expires; negative once it has. */
export function daysLeft(info: Pick<CertificateInfo, "notAfter">, nowMs: number): number {
  return Math.floor((info.notAfter.getTime() - nowMs) / DAY_MS);
}
