/**
 * Every FreeBSD package micropod installs, on the host (prepare-host) and in the bundled images
 * (containerfiles/<image>/Containerfile, whose `pkg install` lines a test compares with this
 * table), with its port origin and where each was checked (freebsd/freebsd-ports).
 *
 * A package name is not always stable: ports built for the ports tree's default version of a
 * language carry that version in their name (`py311-` from PKGNAMEPREFIX=${PYTHON_PKGNAMEPREFIX},
 * `ruby33-gems` from ${RUBY_PKGNAMEPREFIX}; Mk/bsd.default-versions.mk sets PYTHON_DEFAULT 3.11,
 * RUBY_DEFAULT 3.3), and lang/rubyNN is named plain `ruby` while it is the default
 * (PKGNAMESUFFIX only when RUBY_VER != RUBY_DEFAULT_VER). Those are installed by origin, which pkg
 * accepts wherever it takes a name (pkg-install(8): "matching against package names (or
 * origins)"; libpkg/pkgdb_query.c matches a pattern holding "/" against the origin). A flavoured
 * port is not: every flavour's package shares its origin (devel/git: git, git-lite, git-tiny), so
 * the origin alone would match them all; its default flavour's name is stable and used instead.
 */
export interface FreeBsdPackage {
  /** The package name today (`pkg query %n`). */
  readonly name: string;
  /** The port origin, category/port (`pkg query %o`). */
  readonly origin: string;
  /** What `pkg install` is given: the origin where the name follows a default version or flavour. */
  readonly by: "origin" | "name";
  /** Where micropod installs it: "host", or the images (containerfiles/<image>). */
  readonly for: readonly string[];
  /** What was checked, in freebsd/freebsd-ports unless said otherwise. */
  readonly checked: string;
}

export const FREEBSD_PACKAGES: readonly FreeBsdPackage[] = [
  { name: "podman-suite", origin: "sysutils/podman-suite", by: "name", for: ["host"], checked: "sysutils/podman-suite/Makefile: metaport (podman, buildah, skopeo), PORTNAME podman-suite" },
  { name: "ocijail", origin: "sysutils/ocijail", by: "name", for: ["host"], checked: "sysutils/ocijail/Makefile: PORTNAME ocijail" },
  { name: "jq", origin: "textproc/jq", by: "name", for: ["host"], checked: "textproc/jq/Makefile: PORTNAME jq" },
  { name: "git", origin: "devel/git", by: "name", for: ["host", "mastodon"], checked: "devel/git: flavoured (pkg-descr-lite, pkg-descr-tiny); the default flavour is named git" },
  {
    name: "py311-podman-compose",
    origin: "sysutils/podman-compose",
    by: "origin",
    for: ["host"],
    checked: "sysutils/podman-compose/Makefile: PKGNAMEPREFIX=${PYTHON_PKGNAMEPREFIX}; Mk/bsd.default-versions.mk PYTHON_DEFAULT 3.11",
  },
  { name: "haproxy", origin: "net/haproxy", by: "name", for: ["haproxy"], checked: "net/haproxy/Makefile: PORTNAME haproxy" },
  { name: "nginx", origin: "www/nginx", by: "name", for: ["nginx", "nginx-media"], checked: "www/nginx/Makefile: PORTNAME nginx" },
  { name: "opensearch", origin: "textproc/opensearch", by: "name", for: ["opensearch"], checked: "textproc/opensearch/Makefile: PORTNAME opensearch, empty PKGNAMESUFFIX, installs lib/opensearch/bin" },
  {
    name: "postgresql18-server",
    origin: "databases/postgresql18-server",
    by: "name",
    for: ["postgresql"],
    checked: "databases/postgresql18-server/Makefile: PKGNAMESUFFIX ${PORTVERSION:R}${COMPONENT} (the major, not PGSQL_DEFAULT)",
  },
  { name: "postgresql18-contrib", origin: "databases/postgresql18-contrib", by: "name", for: ["postgresql"], checked: "databases/postgresql18-contrib/Makefile: COMPONENT -contrib" },
  { name: "postgresql18-client", origin: "databases/postgresql18-client", by: "name", for: ["mastodon"], checked: "databases/postgresql18-client/Makefile: COMPONENT -client" },
  { name: "redis", origin: "databases/redis", by: "name", for: ["redis"], checked: "databases/redis/Makefile: PORTNAME redis" },
  { name: "varnish7", origin: "www/varnish7", by: "name", for: ["varnish"], checked: "www/varnish7/Makefile: PORTNAME varnish, PKGNAMESUFFIX 7" },
  {
    name: "ruby33-gems",
    origin: "devel/ruby-gems",
    by: "origin",
    for: ["mastodon"],
    checked:
      "devel/ruby-gems/Makefile: PKGNAMEPREFIX=${RUBY_PKGNAMEPREFIX}, built for the default Ruby; Mk/Uses/ruby.mk: RUBY_PKGNAMEPREFIX ruby${RUBY_SUFFIX}-; it depends on the default lang/rubyNN, whose package is `ruby` (lang/ruby34/Makefile: PKGNAMESUFFIX only when not the default)",
  },
  { name: "node22", origin: "www/node22", by: "name", for: ["mastodon"], checked: "www/node22/Makefile: PKGNAMESUFFIX ${PORTVERSION:R:R}; configured --without-npm, ships no corepack (pkg-plist)" },
  { name: "npm-node22", origin: "www/npm-node22", by: "name", for: ["mastodon"], checked: "www/npm-node22/Makefile: PKGNAMESUFFIX ${NODEJS_SUFFIX}; Mk/Uses/nodejs.mk: -node22" },
  { name: "gmake", origin: "devel/gmake", by: "name", for: ["mastodon"], checked: "devel/gmake/Makefile exists" },
  { name: "pkgconf", origin: "devel/pkgconf", by: "name", for: ["mastodon"], checked: "devel/pkgconf/Makefile: PORTNAME pkgconf" },
  { name: "python3", origin: "lang/python3", by: "name", for: ["mastodon"], checked: "lang/python3/Makefile: metaport PORTNAME python3 (the default Python)" },
  { name: "libidn", origin: "dns/libidn", by: "name", for: ["mastodon"], checked: "dns/libidn/Makefile: PORTNAME libidn" },
  { name: "icu", origin: "devel/icu", by: "name", for: ["mastodon"], checked: "devel/icu/Makefile exists" },
  { name: "libyaml", origin: "textproc/libyaml", by: "name", for: ["mastodon"], checked: "textproc/libyaml/Makefile exists" },
  { name: "vips", origin: "graphics/vips", by: "name", for: ["mastodon"], checked: "graphics/vips/Makefile: PORTNAME vips; FLAVORS x11 nox11, the default (x11) named vips" },
  { name: "ffmpeg", origin: "multimedia/ffmpeg", by: "name", for: ["mastodon"], checked: "multimedia/ffmpeg/Makefile: PORTNAME ffmpeg" },
];

/** What `pkg install` is given for a package. */
export const installSpec = (p: FreeBsdPackage): string => (p.by === "origin" ? p.origin : p.name);

/** The table's entries for one place ("host" or an image), in table order. */
export const packagesFor = (where: string): FreeBsdPackage[] => FREEBSD_PACKAGES.filter((p) => p.for.includes(where));

export function freebsdPackage(origin: string): FreeBsdPackage {
  const p = FREEBSD_PACKAGES.find((x) => x.origin === origin);
  if (!p) throw new Error(`no package with origin ${origin} in FREEBSD_PACKAGES`);
  return p;
}
