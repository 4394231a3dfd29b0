/**
 * The official FreeBSD OCI base images the bundled Containerfiles build FROM, and that
 * prepare-host pulls when absent. One place for their names: the Containerfiles' FROM lines are
 * checked against these in a test. FreeBSD publishes them on Docker Hub under `freebsd/`,
 * tagged by release (`15.0`), and as release tarballs for those who import them by hand.
 */
export const DEFAULT_FREEBSD_RELEASE = "15.0";

export const baseImageNames = {
  /** Base system with pkg and a shell but no compiler: most images. */
  notoolchain: "docker.io/freebsd/freebsd-notoolchain",
  /** Adds the compiler toolchain: varnish (compiles its VCL), mastodon (native gems). */
  toolchain: "docker.io/freebsd/freebsd-toolchain",
} as const;

export type BaseImageKind = keyof typeof baseImageNames;

export function baseImage(kind: BaseImageKind, release: string = DEFAULT_FREEBSD_RELEASE): string {
  if (!/^\d+\.\d+$/.test(release)) throw new Error(`FreeBSD release must look like 15.0, got ${JSON.stringify(release)}`);
  return `${baseImageNames[kind]}:${release}`;
}
