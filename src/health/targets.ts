import { UsageError } from "../core/errors.js";
import { SIDEKIQ_DEFAULT_SHUTDOWN_TIMEOUT } from "../suite/sidekiq.js";

/**
 * A sidekiq container the health check watches: the shape suite/'s `sidekiqProcesses(suite)`
 * returns, or what the seed's `QUEUES="ingress:mastodon-sidekiq-ingress-1 ..."` names.
 */
export interface SidekiqTarget {
  readonly service?: string;
  readonly containerName: string;
  readonly queues: readonly string[];
  /** `-g`: the tag its process carries in Redis; micropod sets it to the container name. */
  readonly tag: string;
  /** `-c`, when known. */
  readonly concurrency?: number;
  /** `-t`, Sidekiq's shutdown timeout in seconds (Sidekiq's default 25). */
  readonly shutdownTimeout: number;
  /** The podman URL of the host it runs on (suite/placement.ts); absent: the local podman. */
  readonly url?: string;
}

/**
 * The seed's form: space-separated `queue:container` pairs; a container may appear under several
 * queues (`default:mastodon-sidekiq-default mailers:mastodon-sidekiq-default`).
 */
export function parseQueuesSpec(spec: string): SidekiqTarget[] {
  const byContainer = new Map<string, string[]>();
  const bad: string[] = [];
  for (const word of spec.trim().split(/\s+/).filter(Boolean)) {
    const m = /^([A-Za-z0-9_.-]+):([A-Za-z0-9][A-Za-z0-9_.-]*)$/.exec(word);
    if (!m) {
      bad.push(`${word}: expected queue:container, e.g. ingress:mastodon-sidekiq-ingress-1`);
      continue;
    }
    const list = byContainer.get(m[2]!) ?? [];
    if (!list.includes(m[1]!)) list.push(m[1]!);
    byContainer.set(m[2]!, list);
  }
  if (bad.length) throw new UsageError("cannot read QUEUES", bad);
  if (byContainer.size === 0) throw new UsageError("QUEUES names no container", ["expected e.g. QUEUES=\"ingress:mastodon-sidekiq-ingress-1 pull:mastodon-sidekiq-pull\""]);
  return [...byContainer].map(([containerName, queues]) => ({ containerName, queues, tag: containerName, shutdownTimeout: SIDEKIQ_DEFAULT_SHUTDOWN_TIMEOUT }));
}
