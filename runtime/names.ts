/**
 * The naming rules, defined once: the generator checks unit files against them and the job-spec loader
 * checks `jobs/<name>.json`, and the two must agree or a handler could never find its spec.
 */

/** Topic-handler and job names (`<name>.topic.ts`, `<name>.job.ts`, `jobs/<name>.json`): lower-case words joined by single `-`. */
export const KEBAB_CASE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** MCP tool names (`<name>.tool.ts`): lower-case words joined by single `_`. */
export const SNAKE_CASE = /^[a-z0-9]+(?:_[a-z0-9]+)*$/;

/**
 * Group folders (`functions/<group>/`): kebab-case starting with a letter. The group is the Dapr app-id, and on
 * Kubernetes the sidecar injector names a Service `<app-id>-dapr`, which must start with a letter (DNS-1035).
 */
export const GROUP_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
