/** The suite area's public surface: load a Compose file, walk its graph, read its Sidekiq processes. */
export { loadSuite } from "./load.js";
export { dependencyGraph, type DependencyGraph, type CriticalPath } from "./graph.js";
export { sidekiqProcesses, sidekiqProcessOf, parseSidekiqArgs, type SidekiqContainer } from "./sidekiq.js";
export { interpolate, InterpolationError } from "./interpolate.js";
export { parseDuration } from "./duration.js";
export { canonicalImage, isPullableReference } from "./images.js";
export type * from "./model.js";
