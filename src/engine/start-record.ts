import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../core/atomic-write.js";
import type { Clock } from "../core/clock.js";
import { ExitCode, MicropodError } from "../core/errors.js";
import type { Redactor } from "../core/redact.js";
import type { DependencyCondition } from "../suite/model.js";
import type { BuildStep, ContainerStep } from "./plan.js";
import type { ProgressEvent, ProgressObserver } from "./progress.js";

/**
 * The record of the last start, for `micropod status --timeline`: when each build and each
 * container step began, waited, launched and ended, in milliseconds since the start began. It is
 * derived only from the progress events the engine already tells (engine/progress.ts), by one
 * observer, and written after every start, however it ended: a failed start is when an admin
 * most wants to see where the time went.
 */
export const START_RECORD_VERSION = 1;

export interface RecordedBuild {
  readonly queuedMs: number;
  /** When `podman build` began; absent for a cached build, or one that never began. */
  readonly buildingMs?: number;
  /** When it was built (or found cached, or failed). */
  readonly endMs?: number;
  readonly cached?: boolean;
  readonly failed?: string;
  /** The builds whose images it is FROM: it began after them. */
  readonly after: readonly string[];
}

export interface RecordedStart {
  readonly queuedMs: number;
  /** When its image and container were there and it began waiting on its dependencies. */
  readonly waitingMs?: number;
  /** What it waited on, each with the condition. */
  readonly waitedOn: ReadonlyArray<{ readonly service: string; readonly condition: DependencyCondition }>;
  /** When its podman start began (or, for a container left alone, its readiness check). */
  readonly startingMs?: number;
  /** When podman start returned: `service_started` holds. */
  readonly runningMs?: number;
  readonly readyMs?: number;
  readonly failedMs?: number;
  readonly failed?: string;
  /** The build producing its image, if this start had one. */
  readonly build?: string;
}

export interface RecordedService {
  readonly service: string;
  readonly build?: RecordedBuild;
  readonly start?: RecordedStart;
}

export interface StartRecord {
  readonly version: typeof START_RECORD_VERSION;
  /** When the start began (ISO 8601); every `...Ms` counts from it. */
  readonly at: string;
  readonly outcome: "ready" | "failed" | "interrupted";
  /** When it ended. */
  readonly elapsedMs: number;
  /** The error that ended it, first line; absent when it succeeded. */
  readonly error?: string;
  /** In the order the engine first told of them: builds, then containers in start order. */
  readonly services: readonly RecordedService[];
}

export const lastStartFile = (stateDir: string) => join(stateDir, "last-start.json");

/** What the record takes from the plan: which build each image comes from, and what each build is FROM. */
export interface StartShape {
  readonly builds: ReadonlyArray<Pick<BuildStep, "service" | "after">>;
  readonly containers: ReadonlyArray<Pick<ContainerStep, "service" | "build">>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Listens to one start's progress events and turns them into a StartRecord. `observer` is the
 * one to hand the engine (it passes each event on to `next`, the live view, unchanged).
 */
export class StartRecorder {
  private readonly t0: number;
  private readonly builds = new Map<string, Mutable<RecordedBuild>>();
  private readonly starts = new Map<string, Mutable<RecordedStart>>();
  private readonly order: string[] = [];

  constructor(
    private readonly clock: Pick<Clock, "now">,
    private readonly next?: ProgressObserver,
  ) {
    this.t0 = clock.now();
  }

  readonly observer: ProgressObserver = (e) => {
    this.note(e);
    this.next?.(e);
  };

  private note(e: ProgressEvent): void {
    if (e.step === "stop") return;
    const ms = this.clock.now() - this.t0;
    if (!this.order.includes(e.service)) this.order.push(e.service);
    if (e.step === "build") {
      const b = this.builds.get(e.service) ?? this.builds.set(e.service, { queuedMs: ms, after: [] }).get(e.service)!;
      if (e.state.kind === "building") b.buildingMs = ms;
      else if (e.state.kind === "built") b.endMs = ms;
      else if (e.state.kind === "cached") Object.assign(b, { endMs: ms, cached: true });
      else if (e.state.kind === "failed") Object.assign(b, { endMs: ms, failed: e.state.reason });
      return;
    }
    const s = this.starts.get(e.service) ?? this.starts.set(e.service, { queuedMs: ms, waitedOn: [] }).get(e.service)!;
    const k = e.state.kind;
    if (k === "waiting") Object.assign(s, { waitingMs: ms, waitedOn: e.state.on.map((w) => ({ service: w.service, condition: w.condition })) });
    else if (k === "starting") s.startingMs = ms;
    // The first state after starting: podman start has returned.
    else if ((k === "probing" || k === "completing" || k === "ready") && s.startingMs !== undefined) s.runningMs ??= ms;
    if (k === "ready") s.readyMs = ms;
    else if (k === "failed") Object.assign(s, { failedMs: ms, failed: e.state.reason });
  }

  /**
   * The record as it stands: the plan adds what the events do not say (which build each
   * container's image comes from, which builds each build is FROM); reasons pass the redactor.
   */
  record(plan: StartShape, outcome: StartRecord["outcome"], error: unknown, redactor?: Pick<Redactor, "redact">): StartRecord {
    const clean = (t: string) => redactor?.redact(t) ?? t;
    const fromBuild = new Map(plan.containers.map((c) => [c.service, c.build]));
    const after = new Map(plan.builds.map((b) => [b.service, b.after]));
    const services = this.order.map((service): RecordedService => {
      const b = this.builds.get(service);
      const s = this.starts.get(service);
      const build = fromBuild.get(service);
      return {
        service,
        ...(b ? { build: { ...b, ...(b.failed ? { failed: clean(b.failed) } : {}), after: [...(after.get(service) ?? [])] } } : {}),
        ...(s ? { start: { ...s, ...(s.failed ? { failed: clean(s.failed) } : {}), ...(build ? { build } : {}) } } : {}),
      };
    });
    const message = error === undefined ? undefined : clean((error instanceof Error ? error.message : String(error)).split("\n")[0]!);
    return {
      version: START_RECORD_VERSION,
      at: new Date(this.t0).toISOString(),
      outcome,
      elapsedMs: this.clock.now() - this.t0,
      ...(message !== undefined ? { error: message } : {}),
      services,
    };
  }
}

export async function writeStartRecord(stateDir: string, record: StartRecord): Promise<void> {
  await writeFileAtomic(lastStartFile(stateDir), `${JSON.stringify(record, null, 2)}\n`, { mkdirs: true, mode: 0o644 });
}

/** No start has been recorded where `status --timeline` looked, or the record is not one it reads. */
export class NoStartRecordError extends MicropodError {
  constructor(message: string) {
    super(message, ExitCode.noRecord);
  }
}

/** The last start's record, or NoStartRecordError naming the file and what to do. */
export async function readStartRecord(stateDir: string): Promise<StartRecord> {
  const file = lastStartFile(stateDir);
  const text = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") throw new NoStartRecordError(`no start recorded yet: ${file} does not exist`).withNext("run `micropod start`; it records each start there");
    throw e;
  });
  let record: Partial<StartRecord>;
  try {
    record = JSON.parse(text) as Partial<StartRecord>;
  } catch {
    throw new NoStartRecordError(`${file} is not JSON`).withNext("run `micropod start`; it writes the file anew");
  }
  if (record.version !== START_RECORD_VERSION) {
    throw new NoStartRecordError(`${file} is a start record of version ${String(record.version)}; this micropod reads version ${START_RECORD_VERSION}`).withNext(
      "run `micropod start`; it writes the file anew",
    );
  }
  return record as StartRecord;
}

/** One step of the critical path: a service's build or its container start. */
export interface TimelineStep {
  readonly service: string;
  readonly step: "build" | "start";
}

/** When a container step's end counts: ready, or failed. */
const startEnd = (s: RecordedStart | undefined): number | undefined => s?.readyMs ?? s?.failedMs;

/**
 * The chain that decided how long the recorded start took, first step to last. The rule: begin
 * at the step that ended last (a container that became ready or failed last, among those that
 * started: one never started because what it waited on failed; a build only when no container
 * ended); from a container step go back to whatever it waited on that came last:
 * each dependency it waited on, at the moment the condition it waited for held (`service_started`
 * when the dependency's podman start returned, `service_healthy` and
 * `service_completed_successfully` when it became ready), or the build of its image, at the
 * moment that build ended; from a build go back to the base build (FROM) that ended last. Stop
 * at a step that waited on nothing. Ties go to the first listed, so the answer is stable. This
 * reads only the record (what was waited on, as it happened), unlike the graph's criticalPath,
 * which predicts the lower bound from durations.
 */
export function recordedCriticalPath(record: Pick<StartRecord, "services">): TimelineStep[] {
  const byName = new Map(record.services.map((s) => [s.service, s]));
  const held = (dep: string, c: DependencyCondition) => {
    const s = byName.get(dep)?.start;
    return c === "service_started" ? (s?.runningMs ?? startEnd(s)) : startEnd(s);
  };
  // A cached build took no time: nothing waited on it.
  const buildEnd = (name: string) => {
    const b = byName.get(name)?.build;
    return b?.cached ? undefined : b?.endMs;
  };
  const latest = (candidates: Array<[TimelineStep, number | undefined]>): TimelineStep | undefined => {
    let best: [TimelineStep, number] | undefined;
    for (const [step, at] of candidates) if (at !== undefined && (best === undefined || at > best[1])) best = [step, at];
    return best?.[0];
  };
  const last =
    latest(record.services.map((s) => [{ service: s.service, step: "start" }, s.start?.startingMs === undefined ? undefined : startEnd(s.start)])) ??
    latest(record.services.map((s) => [{ service: s.service, step: "build" }, buildEnd(s.service)]));
  const path: TimelineStep[] = [];
  for (let at = last; at !== undefined && !path.some((p) => p.service === at!.service && p.step === at!.step); ) {
    path.unshift(at);
    const r = byName.get(at.service)!;
    at =
      at.step === "start"
        ? latest([
            ...(r.start?.build ? [[{ service: r.start.build, step: "build" }, buildEnd(r.start.build)] as [TimelineStep, number | undefined]] : []),
            ...(r.start?.waitedOn ?? []).map((w): [TimelineStep, number | undefined] => [{ service: w.service, step: "start" }, held(w.service, w.condition)]),
          ])
        : latest((r.build?.after ?? []).map((b): [TimelineStep, number | undefined] => [{ service: b, step: "build" }, buildEnd(b)]));
  }
  return path;
}
