import { fullFormats } from "ajv-formats/dist/formats.js";

// ajv-formats' checks micropod's own formats are built on.
const ajvHostname = standard("hostname");
/** Dot-atom local part, a domain of two labels or more (no quoted local part). */
const isEmail = standard("email");
const isUri = standard("uri");

/**
 * Value checks the ajv schema names as `format`. Every .env value is a string, so each
 * checker takes the raw text. Registered on the ajv instance in schema.ts.
 *
 * The standard formats are ajv-formats' ("full" mode, ajv-formats/src/formats.ts); micropod's own
 * are built on them where a value is a standard one in a frame (brackets, a prefix length, a port,
 * `Name <address>`), and narrowed where what reads the value accepts less, each saying why.
 */
export const formats: Readonly<Record<string, (value: string) => boolean>> = {
  ipv4: standard("ipv4"),
  "ipv4-or-cidr": (v) => withPrefix(v, 32, formats.ipv4!),
  /**
   * Written in brackets as the seed suite does, so it can be followed by :port. ajv-formats'
   * ipv6 takes no zone index (`fe80::1%em0`), unlike node's isIPv6: nothing these addresses reach
   * takes one (the containers' own check, containerfiles/base/lib.sh is_ipv6, rejects `%`).
   */
  "bracketed-ipv6": (v) => /^\[[^\]]+\]$/.test(v) && formats.ipv6!(v.slice(1, -1)),
  ipv6: standard("ipv6"),
  "ipv6-or-cidr": (v) => withPrefix(v, 128, formats.ipv6!),
  hostname: isHostname,
  /** A public domain name: a hostname with at least two labels, lowercase as Mastodon stores it. */
  domain: (v) => isHostname(v) && v.includes(".") && v === v.toLowerCase(),
  /** A host reachable from the containers: IPv4, [IPv6] or a hostname. */
  host: (v) => formats.ipv4!(v) || formats["bracketed-ipv6"]!(v) || isHostname(v),
  "host-port": (v) => {
    const m = /^(.+):(\d{1,5})$/.exec(v);
    return m !== null && formats.host!(m[1]!) && isPort(m[2]!);
  },
  port: isPort,
  /** Alertmanager: host, host:port (9093 when no port: health/alertmanager.ts) or an http(s) URL. */
  alertmanager: (v) => formats["http-url"]!(v) || formats.host!(v) || formats["host-port"]!(v),
  /**
   * `notifications@example.org` or `Mastodon <notifications@example.org>`: the address alone is
   * ajv-formats' email, but SMTP_FROM_ADDRESS is a whole From header, and `mastodon:setup`
   * (mastodon/mastodon lib/tasks/mastodon.rake) offers `Mastodon <notifications@DOMAIN>` as its
   * default, so the name-and-angle-brackets form is accepted around it.
   */
  "mail-from": (v) => {
    const m = /^[^<>]*<([^<>]+)>$/.exec(v);
    return isEmail(m ? m[1]! : v);
  },
  "absolute-path": (v) => v.startsWith("/") && !v.split("/").includes(".."),
  /**
   * S3_ENDPOINT: aws-sdk-core reads it with Ruby's `URI.parse` and wants URI::HTTP(S)
   * (aws/aws-sdk-ruby gems/aws-sdk-core/lib/seahorse/client/plugins/endpoint.rb), so the text must
   * be an RFC 3986 URI (ajv-formats' uri: a space or `|` is refused, which WHATWG URL would
   * quietly percent-encode) with an http(s) scheme and a host after `//` (WHATWG URL reads
   * `https:s3.example.org` as having one; Ruby's URI does not).
   */
  "http-url": (v) => {
    if (!/^https?:\/\//i.test(v) || !isUri(v)) return false;
    try {
      return new URL(v).hostname !== "";
    } catch {
      return false;
    }
  },
  /** VAPID private key: URL-safe base64 of the raw P-256 scalar (Ruby's to_s(2) may drop a leading zero byte). */
  "vapid-private-key": (v) => {
    const bytes = decodeUrlSafeBase64(v);
    return bytes !== undefined && bytes.length >= 30 && bytes.length <= 32;
  },
  /** VAPID public key: URL-safe base64 of the 65-byte uncompressed point (0x04 || X || Y). */
  "vapid-public-key": (v) => {
    const bytes = decodeUrlSafeBase64(v);
    return bytes !== undefined && bytes.length === 65 && bytes[0] === 0x04;
  },
};

function isPort(v: string): boolean {
  if (!/^\d{1,5}$/.test(v)) return false;
  const n = Number(v);
  return n >= 1 && n <= 65535;
}

type StandardFormat = "ipv4" | "ipv6" | "hostname" | "email" | "uri";

/** One of ajv-formats' "full" formats as a plain check (each is a RegExp or a function of the text). */
function standard(name: StandardFormat): (value: string) => boolean {
  const f = fullFormats[name];
  if (f instanceof RegExp) return (v) => f.test(v);
  if (typeof f === "function") return (v) => Boolean(f(v));
  throw new Error(`ajv-formats' ${name} is neither a RegExp nor a function`);
}

/**
 * ajv-formats' hostname (RFC 1123 labels, 253 characters) without its optional trailing dot:
 * these names reach TLS clients (SMTP, S3, search), and the SNI name is sent "without a trailing
 * dot" (RFC 6066 section 3); haproxy also matches S3_ALIAS_HOST against the Host header as a
 * string, where `media.example.org.` is not `media.example.org`.
 */
function isHostname(v: string): boolean {
  return !v.endsWith(".") && ajvHostname(v);
}

function withPrefix(v: string, max: number, isAddress: (a: string) => boolean): boolean {
  const [address, prefix, extra] = v.split("/");
  if (extra !== undefined || address === undefined || !isAddress(address)) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max);
}

/** Decode URL-safe base64 with or without `=` padding; undefined when it is not that. */
export function decodeUrlSafeBase64(v: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(v)) return undefined;
  const bare = v.replace(/=+$/, "");
  if (bare.length % 4 === 1) return undefined;
  if (v.length !== bare.length && v.length % 4 !== 0) return undefined;
  return Buffer.from(bare, "base64url");
}
