import { isIPv4, isIPv6 } from "node:net";

/**
 * Value checks the ajv schema names as `format`. Every .env value is a string, so each
 * checker takes the raw text. Registered on the ajv instance in schema.ts.
 */
export const formats: Readonly<Record<string, (value: string) => boolean>> = {
  ipv4: (v) => isIPv4(v),
  "ipv4-or-cidr": (v) => withPrefix(v, 32, isIPv4),
  /** Written in brackets as the seed suite does, so it can be followed by :port. */
  "bracketed-ipv6": (v) => /^\[[^\]]+\]$/.test(v) && isIPv6(v.slice(1, -1)),
  "ipv6-or-cidr": (v) => withPrefix(v, 128, isIPv6),
  hostname: isHostname,
  /** A public domain name: a hostname with at least two labels, lowercase as Mastodon stores it. */
  domain: (v) => isHostname(v) && v.includes(".") && v === v.toLowerCase(),
  /** A host reachable from the containers: IPv4, [IPv6] or a hostname. */
  host: (v) => isIPv4(v) || formats["bracketed-ipv6"]!(v) || isHostname(v),
  "host-port": (v) => {
    const m = /^(.+):(\d{1,5})$/.exec(v);
    return m !== null && formats.host!(m[1]!) && isPort(m[2]!);
  },
  port: isPort,
  email: isEmail,
  /** `notifications@example.org` or `Mastodon <notifications@example.org>`. */
  "mail-from": (v) => {
    const m = /^[^<>]*<([^<>]+)>$/.exec(v);
    return isEmail(m ? m[1]! : v);
  },
  "absolute-path": (v) => v.startsWith("/") && !v.split("/").includes(".."),
  "http-url": (v) => {
    try {
      const u = new URL(v);
      return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "";
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

function isHostname(v: string): boolean {
  if (v.length === 0 || v.length > 253) return false;
  return v.split(".").every((label) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(label));
}

function isEmail(v: string): boolean {
  const at = v.lastIndexOf("@");
  if (at <= 0) return false;
  const local = v.slice(0, at);
  const domain = v.slice(at + 1);
  return /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+$/.test(local) && !local.startsWith(".") && !local.endsWith(".") && !local.includes("..") && isHostname(domain) && domain.includes(".");
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
