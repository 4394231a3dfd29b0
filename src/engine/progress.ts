import type { DependencyCondition } from "../suite/model.js";

/**
 * What the engine says as each service changes state during build, start and stop, for a live
 * view (commands/progress-view.ts) or a test: one event per change, nothing else. The engine
 * never waits on the observer and never depends on what it does.
 */
export type ProgressState =
  | { readonly kind: "queued" }
  | { readonly kind: "building"; readonly logFile: string }
  | { readonly kind: "built"; readonly ms: number }
  | { readonly kind: "cached" }
  | { readonly kind: "waiting"; readonly on: ReadonlyArray<{ readonly service: string; readonly condition: DependencyCondition }> }
  | { readonly kind: "starting" }
  | { readonly kind: "probing"; readonly attempt: number }
  | { readonly kind: "completing" }
  | { readonly kind: "ready"; readonly ms: number }
  | { readonly kind: "stopping" }
  | { readonly kind: "stopped" }
  | { readonly kind: "failed"; readonly reason: string; readonly logFile?: string };

export interface ProgressEvent {
  /** The service (a build's or a container's), as the suite names it. */
  readonly service: string;
  /** Which walk: an image build, a container start, a container stop. */
  readonly step: "build" | "start" | "stop";
  readonly state: ProgressState;
}

export type ProgressObserver = (e: ProgressEvent) => void;
