import { runTootctl } from "../ops/passthrough.js";
import { opsContext } from "./ops-context.js";
import { passExitCode } from "./exec.js";
import type { Register } from "./index.js";

export const registerTootctl: Register = (program, context) => {
  program
    .command("tootctl")
    .description("run Mastodon's tootctl in the web container (arguments pass through; --env/--compose via MICROPOD_ENV/MICROPOD_COMPOSE)")
    .argument("[args...]", "tootctl arguments")
    .allowUnknownOption()
    .helpOption(false)
    .action(async (args: string[]) => {
      const ctx = await opsContext(context(), {});
      passExitCode(await runTootctl(ctx, args), "tootctl");
    });
};
