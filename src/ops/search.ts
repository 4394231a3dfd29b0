import type { OpsContext } from "./context.js";
import { execInContainer } from "../podman/container.js";
import { tootctl } from "./passthrough.js";
import { requireRunning } from "./running.js";
import { railsService, searchService } from "./services.js";
import { type EngineContext, startAndWait } from "./engine.js";

export const searchDeployArgv = [...tootctl, "search", "deploy"];

/** `micropod search setup`: OpenSearch healthy first, then Mastodon builds its indexes. */
export async function searchSetup(ctx: EngineContext & Pick<OpsContext, "out">): Promise<void> {
  await requireRunning(ctx.runner, ctx.suite, searchService);
  ctx.logger.info("waiting for opensearch to be healthy");
  await startAndWait(ctx, [searchService]);
  const web = await requireRunning(ctx.runner, ctx.suite, railsService);
  ctx.logger.info("building the search indexes (tootctl search deploy)");
  const r = await ctx.runner.run(execInContainer(web, searchDeployArgv));
  ctx.out(r.stdout.trimEnd() || "search indexes deployed");
}
