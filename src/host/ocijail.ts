import { releaseAfter, releaseAtLeast } from "../core/version.js";

/**
 * Which mechanism applies micropod's jail profiles, from ocijail's version: 0.5 reads the
 * `org.freebsd.jail.allow.*` annotations, releases after 0.5.1 also `org.freebsd.jail.sysv*`;
 * older ones drop them silently. The OCI hook works on every version, so it is installed always.
 */
export interface JailMechanism {
  readonly version?: string;
  /** org.freebsd.jail.allow.* (the opensearch profile) take effect. */
  readonly allowAnnotations: boolean;
  /** org.freebsd.jail.sysvmsg|sysvsem|sysvshm (the postgresql profile) take effect. */
  readonly sysvAnnotations: boolean;
  readonly summary: string;
}

export function jailMechanism(version: string | undefined): JailMechanism {
  if (!version) return { allowAnnotations: false, sysvAnnotations: false, summary: "ocijail is not installed: the micropod-jail hook will apply the jail profiles" };
  // `version` is what `pkg query %v` prints: `0.5.1_2,1` is release 0.5.1 (port revision, epoch).
  const allow = releaseAtLeast(version, "0.5.0");
  const sysv = releaseAfter(version, "0.5.1");
  const summary = sysv
    ? `ocijail ${version} applies the org.freebsd.jail.* annotations (allow.* and sysv*); the hook is a fallback`
    : allow
      ? `ocijail ${version} applies org.freebsd.jail.allow.* but not sysv* (after 0.5.1): the hook applies the postgresql profile`
      : `ocijail ${version} ignores org.freebsd.jail.* annotations (0.5+ reads them): the micropod-jail hook applies both profiles`;
  return { version, allowAnnotations: allow, sysvAnnotations: sysv, summary };
}
