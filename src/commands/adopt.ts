import { resolve } from "node:path";
import { ExitCode } from "../core/errors.js";
import { defaultEnvFiles, resolveComposeFile } from "../config/locations.js";
import { adopt } from "../ops/adopt.js";
import { SEED_DIR } from "../ops/adopt/seed.js";
import { hostVariables } from "./suite-loading.js";
import type { Register } from "./index.js";

interface AdoptFlags {
  readonly seedDir?: string;
  readonly seedEnv?: string;
  readonly seedSecrets?: string;
  readonly dataDir?: string;
  readonly env?: string;
  readonly compose?: string;
  readonly copy?: boolean;
  readonly check?: boolean;
  readonly revert?: boolean;
}

export const registerAdopt: Register = (program, context) => {
  program
    .command("adopt")
    .description("take over a host running the seed suite (micropod-mastodon-suite): its .env, secrets, data and containers; --revert puts it back")
    .option("--seed-dir <dir>", "the seed suite's checkout", SEED_DIR)
    .option("--seed-env <file>", "the seed's .env (default: <seed-dir>/.env)")
    .option("--seed-secrets <dir>", "where the seed stored the secrets it generated (default: <seed-dir>/data/mastodon/private)")
    .option("--data-dir <dir>", "micropod's DATA_DIR for the adopted data (default: <seed-dir>/data)")
    .option("--env <file>", `micropod's .env to write (default: MICROPOD_ENV, then ${defaultEnvFiles[1]})`)
    .option("--compose <file>", "compose file (default: MICROPOD_COMPOSE, then the bundled suite)")
    .option("--copy", "copy the seed's data directories instead of moving them (the seed keeps its own)")
    .option("--check", `print what would be reused, moved, stopped and started, change nothing; exit ${ExitCode.changesPending}`)
    .option("--revert", "stop micropod's suite and bring the seed's containers, networks and data back")
    .action(async (opts: AdoptFlags) => {
      await adopt(context(), {
        ...(opts.seedDir ? { seedDir: opts.seedDir } : {}),
        ...(opts.seedEnv ? { seedEnv: opts.seedEnv } : {}),
        ...(opts.seedSecrets ? { seedSecrets: opts.seedSecrets } : {}),
        ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
        envFile: resolve(opts.env ?? (process.env.MICROPOD_ENV || defaultEnvFiles[1]!)),
        composeFile: resolveComposeFile(opts),
        copy: opts.copy === true,
        check: opts.check === true,
        revert: opts.revert === true,
        hostVariables,
      });
    });
};
