import { renderCommand } from "../../core/command.js";
import type { Redactor } from "../../core/redact.js";
import type { AdoptionJournal } from "./journal.js";
import type { AdoptPlan } from "./plan.js";
import { GENERATED_ON_ADOPT } from "./seed-config.js";
import { copyData, keepSeed, moveNetworksAside, restoreNetworks, restoreSeed, snapshot, startSeed, stopSeed } from "./steps.js";

/** `adopt --check`: what would be reused, moved, stopped and started, then every command, in order. */
export function renderAdoptPlan(plan: AdoptPlan, j: AdoptionJournal, engineCommands: readonly string[], redactor?: Redactor): string[] {
  const out: string[] = [`Adopting the seed suite in ${plan.seed.dir}`, "", "Configuration:"];
  out.push(`  write ${plan.envFile}: the seed's ${plan.seed.envFile} as written, with DATA_DIR=${plan.dataDir}`);
  for (const r of plan.adopted.reused) out.push(`  reuse ${r.name} from ${r.from}${r.persisted ? ` -> ${plan.adopted.config.paths.secretsFile}` : ""}`);
  for (const n of plan.adopted.generated) out.push(`  generate ${n} -> ${plan.adopted.config.paths.secretsFile}: ${GENERATED_ON_ADOPT.get(n)}`);
  if (!plan.adopted.generated.length) out.push("  generate: nothing (every secret is the seed's)");
  const version = plan.adopted.config.vars.MASTODON_VERSION;
  out.push(
    plan.adopted.versionGiven
      ? `  Mastodon ${version}, as the seed's .env says`
      : `  Mastodon ${version}, micropod's default: the seed's .env does not say which release it runs. If it runs an older one, micropod's migrations move the database forward on start, which --revert cannot take back (the ZFS snapshot can): set MASTODON_VERSION to the seed's release in its .env first`,
  );
  for (const f of plan.stored.ignored) out.push(`  left alone in the seed's secrets directory: ${f}`);

  out.push("", "Stop (dependents first), then keep stopped under another name:");
  for (const c of j.containers) {
    const policy = c.restartOff ? `, restart ${c.restartPolicy} -> no` : "";
    const successor = plan.containers.find((x) => x.name === c.name)?.successor;
    out.push(`  ${c.name}${c.running ? "" : " (not running)"} -> ${c.kept}${policy}${successor ? `; replaced by micropod's ${successor}` : "; no micropod service replaces it"}`);
  }
  if (j.networks.length) {
    out.push("", "Networks (podman allows one network per subnet):");
    for (const n of j.networks) out.push(`  remove the seed's ${n.network.name} (${n.network.subnets.map((s) => s.subnet).join(", ")}), which micropod's ${n.collidesWith} needs; recreated by --revert`);
  }
  out.push("", `Data (DATA_DIR=${plan.dataDir}):`);
  out.push(j.snapshots.length ? `  ZFS snapshot ${j.snapshots.join(", ")} first` : "  no ZFS dataset holds it: no snapshot");
  for (const d of plan.data) {
    const what = d.action === "new" ? "new  " : d.action === "reuse" ? "reuse" : d.action === "move" ? "move " : "copy ";
    out.push(`  ${what} ${d.from && d.action !== "reuse" ? `${d.from} -> ` : ""}${d.path} (${d.services.join(", ")}${d.seedContainer ? `; the seed's ${d.seedContainer}` : ""})`);
  }
  out.push("", `Start micropod's suite, each service gated on readiness: ${plan.start.join(", ")}`);
  out.push("", "Commands:");
  const copies = plan.data.filter((d) => d.action === "copy").map((d) => copyData(d.from!, d.path));
  for (const c of [...stopSeed(j), ...snapshot(j), ...moveNetworksAside(j), ...keepSeed(j), ...copies]) out.push(`  ${renderCommand(c, redactor)}`);
  for (const c of engineCommands) out.push(`  ${c}`);
  out.push("", "Nothing changed. Run without --check to adopt; micropod adopt --revert undoes it.");
  return out;
}

/** `adopt --revert --check`: what reverting would do. */
export function renderRevertPlan(j: AdoptionJournal): string[] {
  const out = [`Reverting the adoption of ${j.seed.dir} (${j.status}, begun ${j.startedAt})`, "", "micropod's containers of this suite are stopped and removed, then:"];
  for (const d of [...j.data].reverse()) if (d.action === "move") out.push(`  move ${d.path} -> ${d.from}`);
  for (const c of [...restoreSeed(j), ...restoreNetworks(j), ...startSeed(j)]) out.push(`  ${renderCommand(c)}`);
  for (const f of j.created) out.push(`  remove ${f.path} (kept as ${f.path}.adopt-reverted if edited since)`);
  return out;
}
