import { existsSync } from "node:fs";
import type { Context } from "../core/context.js";
import { MicropodError } from "../core/errors.js";
import type { Runner } from "../core/runner.js";
import { JAIL_PROFILE_FIX, OCIJAIL_STATE_DIR, checkJailProfile } from "../engine/jail-profile.js";
import { inspectContainer, runningContainerNames } from "../podman/container.js";
import { readContainerInspect } from "../podman/readers.js";
import type { Suite } from "../suite/model.js";
import { hostPath, type HostOptions } from "./options.js";
import { MIN_FREEBSD_MAJOR, type PlatformFacts } from "./platform.js";
import { foreignSystem } from "./prepare.js";
import { publishedPortFindings } from "./published-ports.js";
import { type HostContext, HostInspector, type HostResource, NotInspectableError } from "./resource.js";
import { hostResources } from "./resources/index.js";
import { diskFree, hardware } from "./tools/system.js";

export interface Finding {
  /** ok: in place; warn: works, but not as the seed advises; fix: prepare-host (or the fix) must run. */
  readonly level: "ok" | "warn" | "fix";
  readonly subject: string;
  readonly message: string;
  readonly fix?: string;
}

/**
 * The seed's sizing for about 100 users: "at least 16 vCPU and 24GB memory, and at least 80GB
 * disk space when media storage is in separate S3, or 300GB or more if not".
 */
export const GUIDANCE = { cpus: 16, memoryGB: 24, diskGB: { s3: 80, localMedia: 300 } } as const;
const GB = 1e9;

export interface DoctorInput {
  readonly platform: PlatformFacts;
  readonly resources?: readonly HostResource[];
  /** ocijail's state database (tests); default /var/run/ocijail. */
  readonly ocijailStateDir?: string;
  /** The suite, when a .env was found: its declared ports are listed with podman's. */
  readonly suite?: Suite;
}

/**
 * `micropod doctor`: read-only. On FreeBSD: the release, every prepare-host resource, the
 * capacity against the seed's sizing, and the jail profile of every running container. Anywhere
 * else, only that this is not the host it checks, and the sizing such a host needs.
 */
export async function doctor(ctx: Pick<Context, "runner" | "logger" | "out">, options: HostOptions, input: DoctorInput): Promise<Finding[]> {
  const findings: Finding[] = [];
  const add = (f: Finding) => {
    findings.push(f);
    ctx.out(renderFinding(f));
  };
  const resources = input.resources ?? hostResources;
  const foreign = foreignSystem(input.platform);
  if (foreign) {
    add({
      level: "fix",
      subject: "platform",
      message: `this is ${foreign}, not FreeBSD: micropod runs the suite on a FreeBSD ${MIN_FREEBSD_MAJOR} host, and checks its ${resources.length} prepare-host resources, ocijail, the jail profiles and its capacity there only`,
      fix: "run `micropod doctor` on the FreeBSD host (`micropod prepare-host --check` shows here what prepare-host would change there)",
    });
    ctx.out(`sizing for ~100 users (the seed's guidance): ${sizing(options)}`);
    return summarise(ctx, findings);
  }
  const inspect = new HostInspector(ctx.runner);
  const hostCtx: HostContext = { inspect, runner: inspect, logger: ctx.logger, options };
  const major = Number.parseInt(input.platform.release, 10);
  add(
    major >= MIN_FREEBSD_MAJOR
      ? { level: "ok", subject: "platform", message: `FreeBSD ${input.platform.release}` }
      : { level: "fix", subject: "platform", message: `FreeBSD ${input.platform.release}: the suite needs ${MIN_FREEBSD_MAJOR} or later`, fix: "freebsd-update upgrade -r 15.0-RELEASE" },
  );
  for (const r of resources) {
    try {
      const plan = await r.plan(hostCtx);
      if (plan.actions.length === 0) add({ level: "ok", subject: r.name, message: plan.message });
      else if (plan.refusal) add({ level: "fix", subject: r.name, message: `${plan.message} (${plan.refusal})`, fix: "micropod prepare-host --check, then micropod prepare-host --force" });
      else add({ level: "fix", subject: r.name, message: plan.message, fix: plan.fix ?? "micropod prepare-host" });
      for (const n of plan.notes ?? []) add({ level: "warn", subject: r.name, message: n });
    } catch (err) {
      const fix = err instanceof MicropodError ? err.details.find((d) => d.startsWith("fix: "))?.slice(5) : undefined;
      const message = err instanceof NotInspectableError ? `${err.message} (it checks ${r.checks(options)})` : `cannot check: ${err instanceof Error ? err.message : String(err)}`;
      add({ level: "fix", subject: r.name, message, fix: fix ?? "micropod prepare-host" });
    }
  }
  for (const f of await capacity(hostCtx)) add(f);
  try {
    for (const f of await jailProfileFindings(inspect, input.ocijailStateDir)) add(f);
    for (const f of await publishedPortFindings(inspect, input.suite)) add(f);
  } catch (err) {
    // podman not installed yet: the packages finding says so already.
    if (!(err instanceof NotInspectableError)) throw err;
  }
  return summarise(ctx, findings);
}

function summarise(ctx: Pick<Context, "out">, findings: Finding[]): Finding[] {
  const toFix = findings.filter((f) => f.level === "fix").length;
  const warnings = findings.filter((f) => f.level === "warn").length;
  ctx.out(toFix ? `${toFix} finding(s) to fix, ${warnings} warning(s)` : `the host is ready${warnings ? ` (${warnings} warning(s))` : ""}`);
  return findings;
}

export function renderFinding(f: Finding): string {
  const head = `${f.level.padEnd(6)}${f.subject.padEnd(16)}${f.message}`.split("\n").join("\n                      ");
  return f.fix ? `${head}\n      fix: ${f.fix}` : head;
}

/** Where media lives decides the disk: under DATA_DIR when stored locally, on S3 otherwise. */
const localMedia = (o: HostOptions) => o.s3Enabled === false;
const diskWanted = (o: HostOptions) => (localMedia(o) ? GUIDANCE.diskGB.localMedia : GUIDANCE.diskGB.s3);

/** The seed's figures for this configuration, in one line. */
function sizing(o: HostOptions): string {
  const media =
    o.s3Enabled === undefined
      ? `with media on S3 (no .env read; ${GUIDANCE.diskGB.localMedia} GB when media is stored locally)`
      : localMedia(o)
        ? `with media stored locally (S3_ENABLED=false; ${GUIDANCE.diskGB.s3} GB with media on S3)`
        : `with media on S3 (${GUIDANCE.diskGB.localMedia} GB when stored locally)`;
  return `${GUIDANCE.cpus} vCPU, ${GUIDANCE.memoryGB} GB memory, ${diskWanted(o)} GB disk ${media}`;
}

async function capacity(ctx: HostContext): Promise<Finding[]> {
  const out: Finding[] = [];
  const o = ctx.options;
  const hw = await ctx.inspect.run(hardware(), { allowFailure: true });
  const [ncpu, physmem] = hw.stdout.trim().split("\n").map((l) => Number(l.trim()));
  const resize = `give the machine more (the seed's guidance for ~100 users: ${sizing(o)})`;
  if (hw.exitCode !== 0 || !ncpu || !physmem) out.push({ level: "warn", subject: "capacity", message: "cannot read hw.ncpu and hw.physmem" });
  else {
    out.push(ncpu >= GUIDANCE.cpus ? { level: "ok", subject: "cpu", message: `${ncpu} vCPU` } : { level: "warn", subject: "cpu", message: `${ncpu} vCPU, ~100 users want ${GUIDANCE.cpus}`, fix: resize });
    const mem = physmem / GB;
    // physmem is what the kernel got, a little under what the VM was given.
    out.push(mem >= GUIDANCE.memoryGB * 0.95 ? { level: "ok", subject: "memory", message: `${mem.toFixed(1)} GB` } : { level: "warn", subject: "memory", message: `${mem.toFixed(1)} GB, ~100 users want ${GUIDANCE.memoryGB} GB`, fix: resize });
  }
  // With media stored locally it lands under DATA_DIR, so that file system is the one to size.
  const wanted = localMedia(o) ? o.dataDir : o.containersMountpoint;
  const mountpoint = existsSync(hostPath(o, wanted)) ? wanted : "/";
  const df = await ctx.inspect.run(diskFree(hostPath(o, mountpoint)), { allowFailure: true });
  const fields = df.stdout.trim().split("\n")[1]?.trim().split(/\s+/);
  const sizeKB = Number(fields?.[1]);
  if (df.exitCode !== 0 || !sizeKB) out.push({ level: "warn", subject: "disk", message: `cannot read the size of ${mountpoint} (df -P -k)` });
  else {
    const size = (sizeKB * 1024) / GB;
    const availGB = (Number(fields?.[3]) * 1024) / GB;
    const what = `${size.toFixed(0)} GB file system for ${mountpoint} (${availGB.toFixed(0)} GB free)`;
    const need = diskWanted(o);
    const media = localMedia(o) ? `media stored locally (S3_ENABLED=false) under ${o.dataDir}/mastodon/system` : "media on S3";
    out.push(
      size >= need * 0.95
        ? { level: "ok", subject: "disk", message: `${what}; ${need} GB wanted with ${media}` }
        : {
            level: "warn",
            subject: "disk",
            message: `${what}, ~100 users want ${need} GB with ${media}`,
            fix: localMedia(o)
              ? `give ${mountpoint} ${need} GB or more (and prune cached media with \`tootctl media remove\`), or move media to S3 (S3_ENABLED=true with a bucket: ${GUIDANCE.diskGB.s3} GB then)`
              : resize,
          },
    );
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
