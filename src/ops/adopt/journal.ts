import { readFile } from "node:fs/promises";
import { hashOf } from "../../engine/hash.js";
import { join } from "node:path";
import { writeFileAtomic } from "../../core/atomic-write.js";
import type { NetworkDetails } from "../../podman/readers.js";
import type { DataAction } from "./data.js";
import type { NetworkConnection } from "./networks.js";
import type { SeedLocation } from "./seed.js";

/**
 * What an adoption did, written before each change (write-ahead), so `adopt --revert` can undo
 * exactly that, after a failed start, a crash, Ctrl-C, or on demand weeks later.
 */
export interface AdoptionJournal {
  readonly version: 1;
  readonly status: "adopting" | "adopted" | "reverted";
  readonly startedAt: string;
  readonly seed: SeedLocation;
  readonly envFile: string;
  readonly composeFile: string;
  /** micropod's compose project: its containers carry this label. */
  readonly project: string;
  readonly dataDir: string;
  /** The seed's containers in stop order, as they were. */
  readonly containers: ReadonlyArray<{ readonly name: string; readonly kept: string; readonly running: boolean; readonly restartPolicy: string; readonly restartOff: boolean; readonly stopTimeoutSec?: number }>;
  readonly networks: ReadonlyArray<{ readonly network: NetworkDetails; readonly collidesWith: string; readonly connections: readonly NetworkConnection[] }>;
  readonly data: ReadonlyArray<{ readonly path: string; readonly action: DataAction; readonly from?: string }>;
  readonly snapshots: readonly string[];
  /** Steps begun, in order: each is undone by revert (undoing one that never ran changes nothing). */
  readonly begun: readonly AdoptStep[];
  /**
   * Files the adoption created, with a hash of what it wrote: revert removes a file still as
   * written and moves one edited since aside (`.adopt-reverted`) rather than lose the edits.
   */
  readonly created: ReadonlyArray<{ readonly path: string; readonly hash?: string }>;
}

export type AdoptStep = "stop" | "snapshot" | "networks" | "keep" | "data" | "config" | "start";

export const journalPath = (dataDir: string) => join(dataDir, "state", "adopt.json");

export async function readJournal(dataDir: string): Promise<(AdoptionJournal & { path: string }) | undefined> {
  const path = journalPath(dataDir);
  const text = await readFile(path, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return undefined;
    throw err;
  });
  return text === undefined ? undefined : { ...(JSON.parse(text) as AdoptionJournal), path };
}

export async function writeJournal(j: AdoptionJournal): Promise<void> {
  await writeFileAtomic(journalPath(j.dataDir), `${JSON.stringify(j, null, 2)}\n`, { mkdirs: true, mode: 0o600 });
}

/** What revert compares a created file with, to tell it was edited since. */
export const fileHash = async (path: string): Promise<string> => hashOf(await readFile(path, "utf8"));
