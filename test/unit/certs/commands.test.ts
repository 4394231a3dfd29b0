import { constants } from "node:os";
import { describe, expect, it } from "vitest";
import { reconfigureCommands, reloadCommand } from "../../../src/certs/proxy.js";
import { certsRenewCronLine, renewalTimes } from "../../../src/certs/schedule.js";
import { certsRequest } from "../../../src/commands/certs.js";
import { renderCommand } from "../../../src/core/command.js";
import { cronFileContent } from "../../../src/health/install.js";
import { parseEvery } from "../../../src/health/schedule.js";

describe("reloading haproxy in its container", () => {
  it("re-renders and checks the configuration inside the container, then signals the master with the host's SIGUSR2 number", () => {
    expect(reconfigureCommands("mastodon-haproxy").map((c) => renderCommand(c))).toEqual([
      "podman exec mastodon-haproxy /usr/local/libexec/micropod/micropod-configure",
      "podman exec mastodon-haproxy haproxy -c -q -f /usr/local/etc/haproxy/haproxy.cfg",
    ]);
    // A number, never the name: podman maps names to Linux numbers even on FreeBSD.
    expect(renderCommand(reloadCommand("mastodon-haproxy"))).toBe(`podman kill --signal ${constants.signals.SIGUSR2} mastodon-haproxy`);
  });
});

describe("the renewal schedule", () => {
  it("runs twice a day, twelve hours apart, at a time of its own per domain", () => {
    const a = renewalTimes("example.org");
    expect(a.hours[1] - a.hours[0]).toBe(12);
    expect(a.minute).toBeGreaterThanOrEqual(0);
    expect(a.minute).toBeLessThan(60);
    expect(renewalTimes("example.org")).toEqual(a);
    expect(new Set(["example.org", "example.net", "social.example", "mastodon.example.com"].map((d) => JSON.stringify(renewalTimes(d)))).size).toBeGreaterThan(1);
  });

  it("is a line of health install's crontab", () => {
    const { minute, hours } = renewalTimes("example.org");
    const line = certsRenewCronLine({ domain: "example.org", program: "/usr/local/bin/micropod", envFile: "/usr/local/etc/micropod/micropod.env" });
    expect(line).toBe(`${minute} ${hours[0]},${hours[1]} * * *\troot\t/usr/local/bin/micropod certs renew --env /usr/local/etc/micropod/micropod.env >> /var/log/micropod-certs.log 2>&1`);
    const file = cronFileContent({ every: parseEvery("2m"), envFile: "/usr/local/etc/micropod/micropod.env", program: "/usr/local/bin/micropod", certsRenewLine: line });
    expect(file.split("\n").slice(-3)).toEqual([
      "*/2 * * * *\troot\t/usr/local/bin/micropod health check --env /usr/local/etc/micropod/micropod.env --every 2m >> /var/log/micropod-health.log 2>&1",
      line,
      "",
    ]);
  });
});

describe("certs issue/renew options", () => {
  it("--staging is Let's Encrypt's staging directory; --directory takes an https URL", () => {
    expect(certsRequest("issue", { staging: true })).toEqual({ mode: "issue", force: false, directoryUrl: "https://acme-staging-v02.api.letsencrypt.org/directory" });
    expect(certsRequest("renew", { directory: "https://acme.example.net/dir", force: true })).toEqual({ mode: "renew", force: true, directoryUrl: "https://acme.example.net/dir" });
    expect(certsRequest("renew", {})).toEqual({ mode: "renew", force: false });
  });

  it.each([
    [{ staging: true, directory: "https://acme.example.net/dir" }, "--staging and --directory name two ACME directories: give one"],
    [{ directory: "http://acme.example.net/dir" }, "--directory http://acme.example.net/dir: expected the https:// URL of an ACME directory (RFC 8555 section 7.1.1)"],
    [{ directory: "acme.example.net" }, "--directory acme.example.net: expected the https:// URL of an ACME directory (RFC 8555 section 7.1.1)"],
    [{ caFile: "/nonexistent/ca.pem" }, "--ca-file /nonexistent/ca.pem: no such file"],
    [{ email: "root" }, "--email root: expected an e-mail address"],
  ])("refuses %o", (opts, message) => {
    expect(() => certsRequest("issue", opts)).toThrow(message);
  });
});
