import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEnvText } from "../../src/config/env-file.js";
import { parsePf, renderPfConf } from "../../src/host/pf-rules.js";
import { loadSuite } from "../../src/suite/load.js";

/**
 * pf is what keeps the two networks apart on FreeBSD (its CNI firewall plugin ignores podman's
 * `isolate`), and what NATs them out: the ruleset pf/pf.conf.in renders must name exactly the
 * subnets the bundled compose file gives each network. Read from the suite as micropod loads it,
 * so a subnet changed in compose.yaml and not here fails.
 */
const repo = resolve(import.meta.dirname, "../..");
const sample = Object.fromEntries(parseEnvText(readFileSync(join(repo, "sample.env"), "utf8"), "sample.env").entries.map((e) => [e.key, e.value]));

describe("pf and the suite's networks", async () => {
  const suite = await loadSuite(join(repo, "containerfiles", "compose.yaml"), sample);
  const rules = parsePf(await renderPfConf(repo, { v4: "vtnet0", v6: "vtnet0" }));
  const table = (name: string) => {
    const t = rules.find((r) => r.key === `table <${name}>`);
    expect(t, `table <${name}>`).toBeDefined();
    return /\{ (.*) \}/.exec(t!.text)![1]!.split(" ");
  };
  const subnets = (network: string) => suite.networks.get(network)!.subnets.map((s) => s.subnet);

  it("NATs both networks out and keeps the outside from routing to either: every subnet is in <cni-nat>", () => {
    expect(table("cni-nat")).toEqual(expect.arrayContaining([...subnets("backend"), ...subnets("frontend")]));
    const texts = rules.map((r) => r.text);
    expect(texts).toContain("nat on $v4egress_if inet from <cni-nat> to any -> ($v4egress_if)");
    expect(texts).toContain("nat on $v6egress_if inet6 from <cni-nat> to !ff00::/8 -> ($v6egress_if)");
    expect(texts).toContain("block in quick on $v4egress_if inet to <cni-nat>");
    expect(texts).toContain("block in quick on $v6egress_if inet6 to <cni-nat>");
  });

  it("blocks the host's routing between the backend and the frontend, both ways, before anything passes", () => {
    expect(table("micropod-backend")).toEqual(subnets("backend"));
    expect(table("micropod-frontend")).toEqual(subnets("frontend"));
    const texts = rules.map((r) => r.text);
    const blocks = ["block quick from <micropod-frontend> to <micropod-backend>", "block quick from <micropod-backend> to <micropod-frontend>"].map((b) => texts.indexOf(b));
    expect(blocks.every((i) => i >= 0)).toBe(true);
    // `quick` decides at the first match; no `pass quick` before them may let such a packet through.
    const passQuick = texts.findIndex((t) => /^pass .*quick/.test(t) && !/proto icmp6? all/.test(t));
    expect(passQuick === -1 || passQuick > Math.max(...blocks)).toBe(true);
  });
});
