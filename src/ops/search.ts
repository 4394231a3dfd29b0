import type { OpsContext } from "./context.js";
import { execInContainer } from "../podman/container.js";
import { tootctl } from "./passthrough.js";
import { requireRunning } from "./running.js";
import { roleServiceName } from "../suite/roles.js";
import { type OpsEngineContext, startAndWait } from "./engine.js";

export const searchDeployArgv = [...tootctl, "search", "deploy"];

/** `micropod search setup`: the search service healthy first, then Mastodon builds its indexes. */
export async function searchSetup(ctx: OpsEngineContext & Pick<OpsContext, "out">): Promise<void> {
  const search = roleServiceName(ctx.suite, "search");
  await requireRunning(ctx.runner, ctx.suite, search);
  ctx.logger.info(`waiting for ${search} to be healthy`);
  await startAndWait(ctx, [search]);
  const web = await requireRunning(ctx.runner, ctx.suite, roleServiceName(ctx.suite, "web"));
  ctx.logger.info("building the search indexes (tootctl search deploy)");
  const r = await ctx.runner.run(execInContainer(web, searchDeployArgv));
  ctx.out(r.stdout.trimEnd() || "search indexes deployed");
}
