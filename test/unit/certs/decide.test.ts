import { describe, expect, it } from "vitest";
import { decideRenewal } from "../../../src/certs/decide.js";
import { certificateNames, coversNames } from "../../../src/certs/names.js";
import type { CertificateInfo } from "../../../src/certs/pem.js";

const DAY = 86_400_000;
const now = Date.parse("2026-06-01T00:00:00Z");
const cert = (daysLeft: number, names = ["example.org", "media.example.org"], lifetimeDays = 90): CertificateInfo => ({
  names,
  notBefore: new Date(now + daysLeft * DAY + 3_600_000 - lifetimeDays * DAY),
  notAfter: new Date(now + daysLeft * DAY + 3_600_000),
  serial: "01",
  issuer: "CN=test",
  fingerprint256: "",
});
const both = ["example.org", "media.example.org"];

describe("decide: when a run orders a certificate", () => {
  it.each([
    ["issue", undefined, false, { order: true, reason: "no certificate yet" }],
    ["renew", undefined, false, { order: true, reason: "the certificate is gone" }],
    ["renew", cert(60), false, { order: false, reason: "60 days left; renewal starts at 30" }],
    ["issue", cert(60), false, { order: false, reason: "60 days left; renewal starts at 30 (`micropod certs renew --force` replaces it now)" }],
    ["renew", cert(30), false, { order: false, reason: "30 days left; renewal starts at 30" }],
    ["renew", cert(29), false, { order: true, reason: "29 days left, under 30" }],
    ["renew", cert(-3), false, { order: true, reason: "expired 3 days ago" }],
    ["renew", cert(60), true, { order: true, reason: "forced (60 days left)" }],
    ["renew", cert(60, ["example.org"]), false, { order: true, reason: "the certificate covers example.org, not example.org, media.example.org" }],
    // Let's Encrypt's 64-day (2027) and 45-day (2028) certificates; a 6-day one.
    ["renew", cert(30, both, 64), false, { order: false, reason: "30 days left; renewal starts at 30" }],
    ["renew", cert(29, both, 64), false, { order: true, reason: "29 days left, under 30" }],
    ["renew", cert(23, both, 45), false, { order: false, reason: "23 days left; renewal starts at 22" }],
    ["renew", cert(21, both, 45), false, { order: true, reason: "21 days left, under 22" }],
    ["renew", cert(4, both, 6), false, { order: false, reason: "4 days left; renewal starts at 3" }],
  ] as const)("%s with %o (force %s)", (mode, current, force, expected) => {
    expect(decideRenewal(mode, current, both, now, force)).toEqual(expected);
  });
});

describe("certificateNames: DOMAIN, and the media host when nginx-media serves it here", () => {
  it.each([
    [{ DOMAIN: "example.org" }, { names: ["example.org"], notes: [] }],
    [{ DOMAIN: "example.org", S3_ALIAS_HOST: "media.example.org", S3_IP_ADDRESS_1: "192.0.2.20" }, { names: ["example.org", "media.example.org"], notes: [] }],
    [
      { DOMAIN: "example.org", S3_ALIAS_HOST: "files.cdn.example.net", S3_IP_ADDRESS_1: "" },
      { names: ["example.org"], notes: ["S3_ALIAS_HOST=files.cdn.example.net is not on the certificate: nginx-media does not serve it here (S3_IP_ADDRESS_1 is blank)"] },
    ],
    [{ DOMAIN: "example.org", S3_ALIAS_HOST: "example.org", S3_IP_ADDRESS_1: "192.0.2.20" }, { names: ["example.org"], notes: [] }],
  ])("%o", (vars, expected) => {
    expect(certificateNames(vars)).toEqual(expected);
  });

  it("compares names without regard to order or case", () => {
    expect(coversNames(["Media.Example.org", "example.org"], ["example.org", "media.example.org"])).toBe(true);
    expect(coversNames(["example.org"], ["example.org", "media.example.org"])).toBe(false);
  });
});
