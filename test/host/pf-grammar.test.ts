import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { checkPfConf } from "./fakes/pf-grammar.mjs";

/**
 * The fake pfctl's grammar (test/host/fakes/pf-grammar.mjs) against lines of pf.conf(5)
 * (freebsd/freebsd-src share/man/man5/pf.conf.5: its MACROS, TABLES and EXAMPLES sections) that
 * pfctl loads, and against what sbin/pfctl/parse.y refuses, with parse.y's messages. A
 * checker that accepted everything would fail the second half; one that refused too much, the first.
 */
const repo = resolve(import.meta.dirname, "..", "..");
const macros = 'ext_if = "kue0"\nint_if = "em0"\nwifi_if = "ath0"\n';
const check = (text: string) => checkPfConf("pf.conf", text);

const ACCEPTED = [
  // MACROS, TABLES
  'all_ifs = "{" $ext_if lo0 "}"\npass out on $all_ifs from any to any',
  "pass in  on $ext_if proto tcp from any to any port 25",
  "table <private> const { 10/8, 172.16/12, 192.168/16 }\ntable <badhosts> persist\nblock on fxp0 from { <private>, <badhosts> } to any",
  'table <spam> persist file "/etc/spammers" file "/etc/openrelays"\nblock on fxp0 from <spam> to any',
  // OPTIONS
  "set timeout tcp.first 120\nset timeout { adaptive.start 6000, adaptive.end 12000 }\nset limit states 10000",
  "set limit { states 20000, frags 20000, src-nodes 2000 }\nset block-policy return\nset skip on lo0",
  // TRANSLATION EXAMPLES
  "nat on $ext_if inet from ! ($ext_if) to any -> ($ext_if)",
  "nat on $ext_if inet proto udp from any port = isakmp to any -> ($ext_if) \\\n      port 500",
  "rdr on $ext_if inet proto tcp from any to ($ext_if) port 8080 \\\n      -> 10.1.2.151 port 22",
  "rdr on $int_if proto tcp from any to any port 21 -> 127.0.0.1 port 8021",
  "nat on $ext_if inet from any to any -> 192.0.2.16/28 source-hash",
  "rdr on $ext_if proto tcp from any to any port 80 \\\n      -> { 10.1.2.155, 10.1.2.160, 10.1.2.161 } round-robin",
  // FILTER EXAMPLES
  "scrub in on $ext_if all fragment reassemble\nblock return log on $ext_if all",
  "block in from no-route to any\nblock in from urpf-failed to any",
  "block out log quick on $ext_if from ! 157.161.48.183 to any",
  "block in quick on $ext_if from any to 255.255.255.255",
  "block in log quick on $ext_if from { 10.0.0.0/8, 172.16.0.0/12, \\\n      192.168.0.0/16, 255.255.255.255/32 } to any",
  "pass on $ext_if inet proto icmp all icmp-type 8 code 0",
  "pass out on $ext_if proto udp all\npass in on $ext_if proto udp from any to any port domain",
  "pass out on $ext_if proto tcp all modulate state",
  "pass in on $ext_if proto tcp from any to any port { ssh, smtp, domain, \\\n      auth }",
  'block in on $ext_if proto tcp from any os {"Windows 95", "Windows 98"} \\\n      to any port smtp',
  "pass quick on gif0 inet6\npass quick on $ext_if proto ipv6",
  "pass in on $int_if from any to any tag INTNET\npass out quick on $ext_if tagged INTNET",
  "rdr on $ext_if inet proto tcp from <spammers> to port smtp \\\n\ttag SPAMD -> 127.0.0.1 port spamd\nblock in on $ext_if\npass in on $ext_if inet proto tcp tagged SPAMD",
  // what micropod writes: its template's shapes
  'rdr-anchor "cni-rdr/*"\nnat-anchor "cni-rdr/*"\nanchor "cni-rdr/*"',
  "nat on $ext_if inet6 from <cni-nat> to !ff00::/8 -> ($ext_if)",
  "block in quick on $ext_if inet6 to <cni-nat>\npass quick inet6 proto icmp6 all keep state",
];

const REFUSED: Array<[string, string[]]> = [
  // check_rulestate(): translation after filtering, normalization after translation
  ["pass all\nnat on $ext_if from 10.0.0.0/8 to any -> ($ext_if)", ["pf.conf:5: Rules must be in order: options, ethernet, normalization, queueing, translation, filtering"]],
  ['rdr-anchor "x"\nscrub in all', ["pf.conf:5: Rules must be in order: options, ethernet, normalization, queueing, translation, filtering"]],
  ["block all\nset skip on lo0", ["pf.conf:5: Rules must be in order: options, ethernet, normalization, queueing, translation, filtering"]],
  // the lexer: macros are defined before use
  ["pass out on $egress all", ["pf.conf:4: macro 'egress' not defined"]],
  // nat/rdr: '->' is required, and forbidden after "no"
  ["nat on $ext_if inet from any to any", ["pf.conf:4: translation rule requires '-> address'"]],
  ["no nat on $ext_if from 10.0.0.1 to any -> ($ext_if)", ["pf.conf:4: translation rule with 'no' does not need '->'"]],
  ["nat on $ext_if inet6 from any to any -> 192.0.2.1", ["pf.conf:4: no translation address with matching address family found."]],
  // expand_rule(): an address family no listed address has; a port without tcp or udp
  ["block in quick on $ext_if inet to fd00::/8", ["pf.conf:4: rule expands to no valid combination"]],
  ["pass on $ext_if from any to any port 80", ["pf.conf:4: port only applies to tcp/udp", "pf.conf:4: skipping rule due to errors", "pf.conf:4: rule expands to no valid combination"]],
  // the grammar
  ["anchor cni-rdr/*", ["pf.conf:4: syntax error"]],
  ["table cni-nat persist", ["pf.conf:4: syntax error"]],
  ['pass = "x"', ["pf.conf:4: syntax error"]],
  ["nat on $ext_if from <cni-nat> to any -> ($ext_if", ["pf.conf:4: syntax error"]],
  ["pass in all keep", ["pf.conf:4: syntax error"]],
  ["pass in all keep-state", ["pf.conf:4: syntax error"]],
  ["set require-order maybe", ["pf.conf:4: syntax error"]],
  ["pass proto foo", ["pf.conf:4: unknown protocol foo"]],
  ["pass in proto tcp to port 99999", ["pf.conf:4: illegal port value 99999"]],
  ["pass in from 10.1.2.300 to any", ["pf.conf:4: could not parse host specification"]],
];

describe("the fake pfctl's pf.conf grammar", () => {
  it.each(ACCEPTED)("loads what pf.conf(5) shows: %s", (rules) => {
    expect(check(`${macros}${rules}\n`)).toEqual([]);
  });

  it.each(REFUSED)("refuses %s as pfctl does", (rules, errors) => {
    expect(check(`${macros}${rules}\n`)).toEqual(errors);
  });

  it("loads micropod's own pf.conf, and out-of-order rules once `set require-order no` says so", () => {
    const rendered = readFileSync(join(repo, "pf", "pf.conf.in"), "utf8").replaceAll("@V4_EGRESS@", "vtnet0").replaceAll("@V6_EGRESS@", "vtnet1");
    expect(check(rendered)).toEqual([]);
    expect(check("set require-order no\npass all\nnat on vtnet0 from 10.0.0.0/8 to any -> (vtnet0)\n")).toEqual([]);
  });

  it("says so of a statement it does not model rather than pass it unchecked", () => {
    expect(check("altq on em0 cbq bandwidth 10Mb queue { std }\n")).toEqual(["pf.conf:1: fake pfctl: 'altq' statements are not modelled (test/host/fakes/pf-grammar.mjs)"]);
  });

  it("a host name it cannot resolve is refused as pfctl refuses one its resolver does not know", () => {
    expect(check("pass in from mail.example.org to any\n")).toEqual(["no IP address found for mail.example.org", "pf.conf:1: could not parse host specification"]);
  });
});
