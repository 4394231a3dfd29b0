import type { ContainerRecord } from "./health-state.js";
import type { SidekiqTarget } from "./targets.js";
import type { HealthThresholds } from "./thresholds.js";
import type { ContainerVerdict } from "./verdict.js";

/**
 * Restarts with judgement, as a pure function: a verdict, what earlier checks recorded and what
 * podman says about the container in, one decision and the record to keep out. The check
 * carries the decision out; unit tests walk sequences of samples through it.
 */
export type HealthAction = "none" | "wait" | "grace" | "cooldown" | "restart" | "alert";

export interface ContainerRuntime {
  readonly exists: boolean;
  readonly running: boolean;
  /** Epoch ms of the container's last start. */
  readonly startedAtMs?: number;
}

export interface Decision {
  readonly container: string;
  readonly action: HealthAction;
  readonly message: string;
  readonly failing: number;
  /** Push TTIN first: the process still beats, so its thread dump reaches the log. */
  readonly ttin: boolean;
  readonly stopTimeoutSec: number;
  readonly alert?: "cap" | "not-running";
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export function decide(
  verdict: ContainerVerdict,
  record: ContainerRecord,
  runtime: ContainerRuntime,
  target: SidekiqTarget,
  t: HealthThresholds,
  nowMs: number,
): { decision: Decision; record: ContainerRecord } {
  const stopTimeoutSec = target.shutdownTimeout + t.stopMarginSec;
  const base = { container: verdict.container, ttin: false, stopTimeoutSec };
  const restarts = record.restarts.filter((at) => nowMs - at < DAY);
  const next = (failing: number, extra: Partial<ContainerRecord> = {}): ContainerRecord => ({
    failing,
    lastStatus: verdict.status,
    lastReasons: verdict.reasons.map((r) => r.message),
    lastCheckedAtMs: nowMs,
    restarts,
    memory: verdict.memory,
    ...extra,
  });

  if (verdict.status === "healthy") {
    return { decision: { ...base, action: "none", message: "healthy", failing: 0 }, record: next(0) };
  }
  // Never restart a container that is not running, whatever its verdict: the administrator stopped
  // it, or it exited and its restart policy decides. A wedged verdict there (the process's identity
  // still listed after its hash expired) is reported with the alert.
  if (!runtime.running) {
    const state = runtime.exists ? "container is not running: not restarting it (start, stop or its restart policy decides that)" : "container does not exist";
    const message = verdict.status === "absent" ? state : `${verdict.reasons.map((r) => r.message).join("; ")}; ${state}`;
    return { decision: { ...base, action: "alert", alert: "not-running", message, failing: 0 }, record: next(0) };
  }

  const why = verdict.status === "absent" ? `no Sidekiq process reports with tag ${target.tag}` : verdict.reasons.map((r) => r.message).join("; ");
  const failing = record.failing + 1;
  const keep = next(failing, verdict.status === "absent" ? { lastReasons: [why] } : {});
  const decision = (action: HealthAction, message: string, extra: Partial<Decision> = {}) => ({ decision: { ...base, action, message, failing, ...extra }, record: keep });

  if (failing < t.failingSamples) return decision("wait", `${why}: failing sample ${failing} of ${t.failingSamples}`);
  if (runtime.startedAtMs !== undefined && nowMs - runtime.startedAtMs < t.graceMs) {
    return decision("grace", `${why}: container started ${Math.round((nowMs - runtime.startedAtMs) / 1000)} s ago, within the ${Math.round(t.graceMs / 1000)} s grace period`);
  }
  const last = restarts[restarts.length - 1];
  if (last !== undefined && nowMs - last < t.cooldownMs) {
    return decision("cooldown", `${why}: restarted ${Math.round((nowMs - last) / 1000)} s ago, cooldown ${Math.round(t.cooldownMs / 1000)} s`);
  }
  const lastHour = restarts.filter((at) => nowMs - at < HOUR).length;
  if (lastHour >= t.maxRestartsPerHour) {
    return decision("alert", `${why}: ${lastHour} restarts in the last hour reached the cap of ${t.maxRestartsPerHour}; not restarting`, { alert: "cap" });
  }
  return {
    decision: { ...base, action: "restart", message: `${why}: restarting`, failing, ttin: verdict.status === "wedged" && verdict.heartbeatAlive },
    // The restarted process is a new identity; what the old one left in memory no longer applies.
    record: { ...keep, failing: 0, restarts: [...restarts, nowMs], memory: {} },
  };
}
