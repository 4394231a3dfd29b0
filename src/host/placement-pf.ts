import { isIP } from "node:net";
import type { Suite } from "../suite/model.js";

/**
 * pf rules for a suite placed on several hosts (suite/placement.ts): on each host that serves a
 * port to another host, only the peers that need it may reach it.
 *
 * podman's published ports are `rdr pass` rules in the cni-rdr anchors, and `pass` on a
 * translation rule skips filtering (pf/pf.conf.in), so a filter rule alone cannot refuse a
 * stranger. Translation rules are first match, filter rules last match (FreeBSD's sample
 * /etc/pf.conf says so: freebsd/freebsd-src), and `no rdr` exempts a packet from translation
 * (pf.conf(5), "TRANSLATION"). So, before podman's `rdr-anchor`: `no rdr` for any source outside
 * the port's peers; the packet then meets the filter as addressed to the host itself, where a
 * `block in quick` refuses it.
 */
export interface PlacementPfRules {
  /** `table <micropod-peers-PORT> const { ... }`: goes with the other tables. */
  readonly definitions: readonly string[];
  /** `no rdr ...`: before `rdr-anchor "cni-rdr/*"`. */
  readonly translation: readonly string[];
  /** `block in quick ...`: with the filter rules. */
  readonly filter: readonly string[];
}

/** The rules `host` needs: one table of peers per port it serves to other hosts, each port closed to everyone else. */
export function placementPfRules(suite: Suite, host: string): PlacementPfRules {
  const address = suite.hosts?.get(host)?.address;
  const peersByPort = new Map<number, Set<string>>();
  for (const l of suite.links ?? []) {
    if (l.serverHost !== host) continue;
    const peer = suite.hosts?.get(l.clientHost)?.address;
    if (peer) (peersByPort.get(l.port) ?? peersByPort.set(l.port, new Set()).get(l.port)!).add(peer);
  }
  const out = { definitions: [] as string[], translation: [] as string[], filter: [] as string[] };
  if (!address) return out;
  const af = isIP(address) === 6 ? "inet6" : "inet";
  for (const [port, peers] of [...peersByPort].sort(([a], [b]) => a - b)) {
    const table = `<micropod-peers-${port}>`;
    const to = `${af} proto tcp from ! ${table} to ${address} port ${port}`;
    out.definitions.push(`table ${table} const { ${[...peers].sort().join(" ")} }`);
    out.translation.push(`no rdr ${to}`);
    out.filter.push(`block in quick ${to}`);
  }
  return out;
}

/**
 * A rendered pf.conf with the placement rules in the places pfctl requires (tables with the
 * definitions, `no rdr` before podman's rdr-anchor, the blocks after its filter anchor).
 */
export function withPlacementRules(pfConf: string, rules: PlacementPfRules): string {
  if (!rules.definitions.length) return pfConf;
  const lines = pfConf.split("\n");
  const insertBefore = (pred: (l: string) => boolean, add: readonly string[]) => {
    const i = lines.findIndex(pred);
    if (i < 0) throw new Error(`pf.conf has no line for the placement rules to go before`);
    lines.splice(i, 0, ...add);
  };
  const comment = "# micropod placement: peers on other hosts (docs/scale.md)";
  insertBefore((l) => /^nat on /.test(l), [comment, ...rules.definitions]);
  insertBefore((l) => l.startsWith('rdr-anchor "cni-rdr/*"'), [comment, ...rules.translation]);
  const anchor = lines.findIndex((l) => l.startsWith('anchor "cni-rdr/*"'));
  if (anchor < 0) throw new Error(`pf.conf has no anchor "cni-rdr/*" for the placement rules to follow`);
  lines.splice(anchor + 1, 0, comment, ...rules.filter);
  return lines.join("\n");
}
