import { describe, expect, it } from "vitest";
import { formats } from "../../../src/config/formats.js";
import { closestName, editDistance } from "../../../src/config/typos.js";
import { variables } from "../../../src/config/variables.js";

const check = (format: string, value: string) => formats[format]!(value);

describe("value formats", () => {
  it.each([
    ["ipv4", "192.0.2.10", true],
    ["ipv4", "192.0.2.256", false],
    ["ipv4", "192.0.2", false],
    ["ipv4", "192.0.2.010", false],
    ["bracketed-ipv6", "[2001:db8::10]", true],
    ["bracketed-ipv6", "2001:db8::10", false],
    ["bracketed-ipv6", "[2001:db8::g]", false],
    ["bracketed-ipv6", "[192.0.2.1]", false],
    ["bracketed-ipv6", "[::ffff:192.0.2.1]", true],
    ["bracketed-ipv6", "[fe80::1%em0]", false],
    ["ipv6-or-cidr", "fe80::1%em0", false],
    ["ipv6-or-cidr", "2001:db8::/64", true],
    ["ipv6-or-cidr", "[2001:db8::1]", false],
    ["ipv6-or-cidr", "2001:db8::/129", false],
    ["ipv4-or-cidr", "192.0.2.0/24", true],
    ["ipv4-or-cidr", "192.0.2.0/33", false],
    ["port", "1", true],
    ["port", "65535", true],
    ["port", "0", false],
    ["port", "65536", false],
    ["port", "80a", false],
    ["domain", "example.org", true],
    ["domain", "social.example.org", true],
    ["domain", "xn--bcher-kva.example", true],
    ["domain", "Example.org", false],
    ["domain", "localhost", false],
    ["domain", "-bad.example.org", false],
    ["domain", "exa_mple.org", false],
    ["domain", "example.org.", false],
    ["hostname", "s3.example.org", true],
    ["hostname", "S3.Example.org", true],
    ["hostname", "s3.example.org.", false],
    ["hostname", `${"a".repeat(63)}.example.org`, true],
    ["hostname", `${"a".repeat(64)}.example.org`, false],
    ["hostname", `${"a.".repeat(125)}abc`, true],
    ["hostname", `${"a.".repeat(125)}abcd`, false],
    ["hostname", "s3-.example.org", false],
    ["host", "10.89.0.10", true],
    ["host", "[fd00:10:89::10]", true],
    ["host", "db.internal", true],
    ["host", "redis host!", false],
    ["host", "db.internal.", false],
    ["host-port", "alertmanager.example.org:9093", true],
    ["host-port", "[2001:db8::5]:9093", true],
    ["host-port", "alertmanager.example.org", false],
    ["host-port", "alertmanager.example.org:99999", false],
    // The seed's cron line sets MONITORHOST to an address alone: Alertmanager's port 9093 is used.
    ["alertmanager", "192.0.2.5", true],
    ["alertmanager", "alertmanager.example.org:9093", true],
    ["alertmanager", "[2001:db8::5]:9093", true],
    ["alertmanager", "https://alerts.example.org/am", true],
    ["alertmanager", "alertmanager.example.org:99999", false],
    ["alertmanager", "alert manager", false],
    ["mail-from", "notifications@example.org", true],
    ["mail-from", "Mastodon <notifications@example.org>", true],
    ["mail-from", "notifications.example.org", false],
    ["mail-from", "a@b", false],
    ["mail-from", "Mastodon <notifications>", false],
    ["mail-from", '"Mastodon, Inc." <notifications@example.org>', true],
    ["mail-from", "first.last+tag@mail.example.org", true],
    ["mail-from", "first..last@example.org", false],
    ["mail-from", ".first@example.org", false],
    ["mail-from", "notifications@example.org.", false],
    ["absolute-path", "/var/db/micropod", true],
    ["absolute-path", "var/db", false],
    ["absolute-path", "/var/../etc", false],
    ["http-url", "https://s3.example.org", true],
    ["http-url", "s3.example.org", false],
    ["http-url", "ftp://s3.example.org", false],
    ["http-url", "https://s3.example.org:9000/bucket?x=1", true],
    ["http-url", "http://[2001:db8::5]:9000", true],
    ["http-url", "https://s3.example.org/a b", false],
    ["http-url", "https://s3.example.org/a|b", false],
    ["http-url", "https:s3.example.org", false],
    ["http-url", "https://", false],
    ["vapid-public-key", `${Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 9)]).toString("base64url")}=`, true],
    ["vapid-public-key", Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 9)]).toString("base64url"), true],
    ["vapid-public-key", `${Buffer.concat([Buffer.from([2]), Buffer.alloc(64, 9)]).toString("base64url")}=`, false],
    ["vapid-public-key", Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 0xff)]).toString("base64"), false],
    ["vapid-private-key", `${Buffer.alloc(32, 9).toString("base64url")}=`, true],
    ["vapid-private-key", Buffer.alloc(33, 9).toString("base64url"), false],
  ])("%s %s -> %s", (format, value, ok) => {
    expect(check(format, value)).toBe(ok);
  });
});

describe("typo suggestions", () => {
  const known = variables.map((v) => v.name);
  it("counts a swap of neighbours as one edit", () => {
    expect(editDistance("DOMIAN", "DOMAIN")).toBe(1);
    expect(editDistance("", "ABC")).toBe(3);
    expect(editDistance("KITTEN", "SITTING")).toBe(3);
  });
  it.each([
    ["DOMIAN", "DOMAIN"],
    ["domain", "DOMAIN"],
    ["IP6_ADRESS", "IP6_ADDRESS"],
    ["S3_BUKET", "S3_BUCKET"],
    ["DB_PASSWD", "DB_PASS"],
    ["ELASTIC_PASWORD", "ELASTIC_PASSWORD"],
    ["MY_MAIL_FORM", "MY_MAIL_FROM"],
    ["NODE_ENV", undefined],
    ["ALTERNATE_DOMAINS", undefined],
    ["ES_HOST", undefined],
  ])("%s -> %s", (typo, suggestion) => {
    expect(closestName(typo, known)).toBe(suggestion);
  });
});
