/**
 * The host names one certificate covers: DOMAIN, and the media host S3_ALIAS_HOST when the
 * suite's nginx-media serves it here, which is when it proxies an S3 host (S3_IP_ADDRESS_1 set:
 * containerfiles/nginx-media/configure.sh renders the media proxy only then). A media host
 * served by someone else (the S3 provider, a CDN) would fail HTTP-01 here and sink the whole
 * order, so it is left out, and `certs status` says why.
 */
export interface CertificateNames {
  readonly names: readonly string[];
  /** Why a configured name is not on the certificate. */
  readonly notes: readonly string[];
}

export function certificateNames(vars: Readonly<Record<string, string>>): CertificateNames {
  const domain = vars.DOMAIN;
  if (!domain) throw new Error("DOMAIN is not set");
  const alias = vars.S3_ALIAS_HOST ?? "";
  if (alias === "" || alias === domain) return { names: [domain], notes: [] };
  if (!vars.S3_IP_ADDRESS_1) {
    return { names: [domain], notes: [`S3_ALIAS_HOST=${alias} is not on the certificate: nginx-media does not serve it here (S3_IP_ADDRESS_1 is blank)`] };
  }
  return { names: [domain, alias], notes: [] };
}

/** Whether a certificate's names cover every wanted one (order does not matter). */
export function coversNames(have: readonly string[], want: readonly string[]): boolean {
  const h = new Set(have.map((n) => n.toLowerCase()));
  return want.every((n) => h.has(n.toLowerCase()));
}
