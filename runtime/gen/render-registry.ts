/**
 * Renders `runtime/generated/registry.gen.ts`: every group module (`render-group.ts`) imported statically, as the
 * `registry` that `taskbeat start` (all groups in one process) and the tests serve from. Importing it loads every
 * unit of every group; `serve --group <group>` uses `groups.gen.ts` instead, to load one group only.
 *
 * Imports are in code-point order of their path; the file tells biome's import sorter (which uses natural order)
 * to leave them alone. biome formats the rest (format.ts).
 */
import type { GroupRegistry, Registry } from "../registry.js";
import { groupModuleSpecifier } from "./render-group.js";
import { camelCase, KEEP_IMPORT_ORDER, propertyKey, sourceHeader, uniqueIdentifiers } from "./ts-source.js";
import { byCodePoint, groupsOf, type ScannedUnit, unitsOf } from "./units.js";

/** Where the registry is written, relative to the project root. */
export const REGISTRY_PATH = "runtime/generated/registry.gen.ts";

export const REGISTRY_HEADER = sourceHeader("functions/");

/** The registry the generated files evaluate to, built in memory: groups and units sorted by name. */
export function buildRegistry(units: readonly ScannedUnit[]): Registry {
  const registry: Record<string, GroupRegistry> = {};
  for (const group of groupsOf(units)) {
    registry[group] = {
      subscriptions: unitsOf(units, group, "subscription").map(({ name, route, unit }) => ({
        name,
        route,
        unit,
      })),
      jobs: unitsOf(units, group, "job").map(({ name, unit }) => ({ name, unit })),
      tools: unitsOf(units, group, "tool").map(({ name, unit }) => ({ name, unit })),
    };
    const setups = unitsOf(units, group, "setup").map(({ name, unit }) => ({ name, unit }));
    if (setups.length > 0) registry[group] = { ...registry[group], setups };
  }
  return registry;
}

/** The source text of `runtime/generated/registry.gen.ts`. */
export function renderRegistry(units: readonly ScannedUnit[]): string {
  const groups = groupsOf(units);
  const byPath = [...groups].sort((a, b) => byCodePoint(groupModuleSpecifier(a), groupModuleSpecifier(b)));
  // `<group>Group`: never a reserved word, and distinct from `Registry` and `registry`.
  const aliases = uniqueIdentifiers(byPath, (group) => `${camelCase(group)}Group`, ["Registry", "registry"]);
  const importLines = byPath.map(
    (group) =>
      `import { group as ${aliases.get(group)} } from ${JSON.stringify(groupModuleSpecifier(group))};`,
  );

  const body =
    groups.length === 0
      ? ["export const registry = {} satisfies Registry;"]
      : [
          "export const registry = {",
          ...groups.map((group) => {
            const key = propertyKey(group);
            const alias = aliases.get(group);
            return `  ${key}: ${alias},`;
          }),
          "} satisfies Registry;",
        ];

  return [
    REGISTRY_HEADER,
    KEEP_IMPORT_ORDER,
    ...importLines,
    'import type { Registry } from "../registry.js";',
    "",
    ...body,
    "",
  ].join("\n");
}
