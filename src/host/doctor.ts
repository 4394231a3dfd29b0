import { existsSync } from "node:fs";
import type { Context } from "../core/context.js";
import { MicropodError } from "../core/errors.js";
import { jailMechanism } from "./ocijail.js";
import { hostPath, type HostOptions } from "./options.js";
import { type HostContext, type HostResource, ReadOnlyRunner } from "./resource.js";
import { hostResources } from "./resources/index.js";
import { ocijailVersion } from "./resources/jail-profiles.js";
import { diskFree, hardware } from "./tools/system.js";
import type { Runner } from "../core/runner.js";
import { JAIL_PROFILE_FIX, OCIJAIL_STATE_DIR, checkJailProfile } from "../engine/jail-profile.js";
import { inspectContainer, runningContainerNames } from "../podman/container.js";
import { readContainerInspect } from "../podman/readers.js";

export interface Finding {
  /** ok: in place; warn: works, but not as the seed advises; fix: prepare-host (or the fix) must run. */
  readonly level: "ok" | "warn" | "fix";
  readonly subject: string;
  readonly message: string;
  readonly fix?: string;
}

/** The seed's guidance for about 100 users, media on S3 (doctor says so when S3_ENABLED=false). */
export const GUIDANCE = { cpus: 16, memoryGB: 24, diskGB: 80 } as const;
const GB = 1e9;

/** `micropod doctor`: read-only. Every prepare-host resource, the capacity, and the jail mechanism. */
export async function doctor(ctx: Pick<Context, "runner" | "logger" | "out">, options: HostOptions, resources: readonly HostResource[] = hostResources): Promise<Finding[]> {
  const inspect = new ReadOnlyRunner(ctx.runner);
  const hostCtx: HostContext = { inspect, runner: inspect, logger: ctx.logger, options };
  const findings: Finding[] = [];
  const add = (f: Finding) => {
    findings.push(f);
    ctx.out(renderFinding(f));
  };
  for (const r of resources) {
    try {
      const plan = await r.plan(hostCtx);
      if (plan.actions.length === 0) add({ level: "ok", subject: r.name, message: plan.message });
      else if (plan.refusal) add({ level: "fix", subject: r.name, message: `${plan.message} (${plan.refusal})`, fix: "micropod prepare-host --check, then micropod prepare-host --force" });
      else add({ level: "fix", subject: r.name, message: plan.message, fix: plan.fix ?? "micropod prepare-host" });
      for (const n of plan.notes ?? []) add({ level: "warn", subject: r.name, message: n });
    } catch (err) {
      const fix = err instanceof MicropodError ? err.details.find((d) => d.startsWith("fix: "))?.slice(5) : undefined;
      add({ level: "fix", subject: r.name, message: `cannot check: ${err instanceof Error ? err.message : String(err)}`, fix: fix ?? "micropod prepare-host" });
    }
  }
  for (const f of await capacity(hostCtx)) add(f);
  const version = await ocijailVersion(hostCtx);
  add({ level: version ? "ok" : "fix", subject: "ocijail", message: jailMechanism(version).summary, fix: version ? undefined : "pkg install -y ocijail" });
  const toFix = findings.filter((f) => f.level === "fix").length;
  const warnings = findings.filter((f) => f.level === "warn").length;
  ctx.out(toFix ? `${toFix} finding(s) to fix, ${warnings} warning(s)` : `the host is ready${warnings ? ` (${warnings} warning(s))` : ""}`);
  return findings;
}

export function renderFinding(f: Finding): string {
  const head = `${f.level.padEnd(6)}${f.subject.padEnd(16)}${f.message}`.split("\n").join("\n                      ");
  return f.fix ? `${head}\n      fix: ${f.fix}` : head;
}

async function capacity(ctx: HostContext): Promise<Finding[]> {
  const out: Finding[] = [];
  const hw = await ctx.inspect.run(hardware(), { allowFailure: true });
  const [ncpu, physmem] = hw.stdout.trim().split("\n").map((l) => Number(l.trim()));
  const resize = "give the machine more (the seed's guidance for ~100 users: 16 vCPU, 24 GB memory, 80 GB disk, media on S3)";
  if (hw.exitCode !== 0 || !ncpu || !physmem) out.push({ level: "warn", subject: "capacity", message: "cannot read hw.ncpu and hw.physmem" });
  else {
    out.push(ncpu >= GUIDANCE.cpus ? { level: "ok", subject: "cpu", message: `${ncpu} vCPU` } : { level: "warn", subject: "cpu", message: `${ncpu} vCPU, ~100 users want ${GUIDANCE.cpus}`, fix: resize });
    const mem = physmem / GB;
    // physmem is what the kernel got, a little under what the VM was given.
    out.push(mem >= GUIDANCE.memoryGB * 0.95 ? { level: "ok", subject: "memory", message: `${mem.toFixed(1)} GB` } : { level: "warn", subject: "memory", message: `${mem.toFixed(1)} GB, ~100 users want ${GUIDANCE.memoryGB} GB`, fix: resize });
  }
  // With media stored locally it lands under DATA_DIR, so that file system is the one to size.
  const localMedia = ctx.options.s3Enabled === false;
  const wanted = localMedia ? ctx.options.dataDir : ctx.options.containersMountpoint;
  const mountpoint = existsSync(hostPath(ctx.options, wanted)) ? wanted : "/";
  const df = await ctx.inspect.run(diskFree(hostPath(ctx.options, mountpoint)), { allowFailure: true });
  const fields = df.stdout.trim().split("\n")[1]?.trim().split(/\s+/);
  const sizeKB = Number(fields?.[1]);
  if (df.exitCode !== 0 || !sizeKB) out.push({ level: "warn", subject: "disk", message: `cannot read the size of ${mountpoint} (df -P -k)` });
  else {
    const size = (sizeKB * 1024) / GB;
    const availGB = (Number(fields?.[3]) * 1024) / GB;
    const what = `${size.toFixed(0)} GB file system for ${mountpoint} (${availGB.toFixed(0)} GB free)`;
    const enough = size >= GUIDANCE.diskGB * 0.95;
    if (localMedia) {
      // The seed's 80 GB leaves media out (it is on S3 there); local media has no fixed size, so
      // this is a warning whatever the disk: the administrator plans the room or moves media to S3.
      out.push({
        level: "warn",
        subject: "disk",
        message: `${what}; media is stored locally (S3_ENABLED=false) under ${ctx.options.dataDir}/mastodon/system, which the ${GUIDANCE.diskGB} GB guidance for ~100 users does not include${enough ? "" : `, and the disk is under even that`}`,
        fix: `leave room beyond ${GUIDANCE.diskGB} GB for media and prune its cache with \`tootctl media remove\`, or set S3_ENABLED=true with a bucket`,
      });
    } else out.push(enough ? { level: "ok", subject: "disk", message: what } : { level: "warn", subject: "disk", message: `${what}, ~100 users want ${GUIDANCE.diskGB} GB with media on S3`, fix: resize });
  }
  return out;
}

/**
 * Every running container that asks for a jail profile, checked in its jail (engine/jail-profile.ts):
 * a profile not in effect is a finding to fix, naming what is missing.
 */
export async function jailProfileFindings(runner: Runner, stateDir = OCIJAIL_STATE_DIR): Promise<Finding[]> {
  const names = (await runner.run(runningContainerNames())).stdout.split("\n").map((l) => l.trim()).filter(Boolean);
  if (names.length === 0) return [];
  const out: Finding[] = [];
  for (const c of readContainerInspect((await runner.run(inspectContainer(...names))).stdout)) {
    const check = await checkJailProfile(runner, c, stateDir);
    if (!check) continue;
    const subject = "jail-profile";
    if (check.status === "in-effect") out.push({ level: "ok", subject, message: `${c.name}: jail ${check.jid} has the ${check.profile} profile` });
    else if (check.status === "not-a-jail") out.push({ level: "warn", subject, message: `${c.name}: runs under ${check.runtime}, not in a jail: the ${check.profile} profile does not apply` });
    else if (check.status === "unknown-profile") out.push({ level: "warn", subject, message: `${c.name}: unknown jail profile ${check.profile}: nothing applies it` });
    else {
      out.push({
        level: "fix",
        subject,
        message: `${c.name}: the ${check.profile} profile is not in effect${check.jid ? ` in jail ${check.jid}` : ""}: ${check.problems.join("; ")}`,
        fix: `${JAIL_PROFILE_FIX.join("; ")}; then micropod stop && micropod start`,
      });
    }
  }
  return out;
}
