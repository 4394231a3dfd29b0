import { searchSetup } from "../ops/search.js";
import { opsContext } from "./ops-context.js";
import { withSuiteOptions } from "./suite-loading.js";
import type { SuiteOptions } from "../config/locations.js";
import type { Register } from "./index.js";

export const registerSearch: Register = (program, context) => {
  const search = program.command("search").description("full-text search (OpenSearch)");
  withSuiteOptions(search.command("setup").description("wait for opensearch to be healthy, then build the indexes (tootctl search deploy)")).action(
    async (opts: SuiteOptions) => {
      await searchSetup(await opsContext(context(), opts));
    },
  );
};
