import { resolve } from "node:path";

/**
 * Where the seed suite (micropod-mastodon-suite, codeberg.org/Honeyguide/micropod-mastodon-suite)
 * keeps things. Its blog post has the repository cloned into /mnt/data (the zroot/data dataset),
 * its `.env` at the checkout's top, the owner's credentials in data/mastodon/private/. The
 * suite's own scripts could not be read: where it stores the secrets it generated is inferred
 * from the post and from its authors' earlier Mastodon image (bsdpot/potluck mastodon-s3,
 * configure-mastodon.sh), which keeps them in .../mastodon/private/. Each location is an
 * option of `micropod adopt`, so a suite laid out otherwise is adopted by naming its paths.
 */
export interface SeedLocation {
  /** The seed's checkout. */
  readonly dir: string;
  readonly envFile: string;
  /** Where the seed stored the secrets it generated. */
  readonly secretsDir: string;
}

export const SEED_DIR = "/mnt/data/micropod-mastodon-suite";

export interface SeedLocationOptions {
  readonly seedDir?: string;
  readonly seedEnv?: string;
  readonly seedSecrets?: string;
}

export function seedLocation(o: SeedLocationOptions): SeedLocation {
  const dir = resolve(o.seedDir ?? SEED_DIR);
  return {
    dir,
    envFile: resolve(o.seedEnv ?? resolve(dir, ".env")),
    secretsDir: resolve(o.seedSecrets ?? resolve(dir, "data", "mastodon", "private")),
  };
}

/** micropod's data directory for an adopted seed: beside the seed's own data, on the same dataset, so moving is renaming. */
export const defaultAdoptedDataDir = (seed: SeedLocation): string => resolve(seed.dir, "data");

/**
 * The seed's container names, beyond the ones micropod's suite shares with it (the post names
 * `postgresql`, `opensearch`, `mastodon-web`, `mastodon-streaming`, `mastodon-sidekiq-*`): any
 * container called `mastodon-*` or like a service or container of micropod's suite is the seed's
 * (micropod's own carry its compose labels), so none is left running beside the adopted data.
 */
export const SEED_NAME_PREFIX = "mastodon-";

/** What a kept seed container is renamed to while micropod's takes its name. */
export const keptName = (name: string): string => `${name}-seed`;
