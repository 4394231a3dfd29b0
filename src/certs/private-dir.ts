import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * A directory only root may list (0700), for keys and certificates. Missing parents are made
 * 0755: DATA_DIR also holds what containers' unprivileged users read (the challenge files).
 */
export async function mkdirPrivate(dir: string): Promise<void> {
  await mkdir(dirname(dir), { recursive: true, mode: 0o755 });
  await mkdir(dir, { recursive: true, mode: 0o700 });
}
