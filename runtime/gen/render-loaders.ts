/**
 * Renders `runtime/generated/groups.gen.ts`: `groupLoaders`, one function per group that imports the group's module
 * (`render-group.ts`) when called. The file itself imports no unit, so `serve --group <group>` and `mcp` look a
 * group up by name and load its code only, never every group's.
 *
 * biome formats the text (format.ts).
 */
import { groupModuleSpecifier } from "./render-group.js";
import { propertyKey, sourceHeader } from "./ts-source.js";
import { groupsOf, type ScannedUnit } from "./units.js";

/** Where the loaders are written, relative to the project root. */
export const GROUP_LOADERS_PATH = "runtime/generated/groups.gen.ts";

/** The source text of `runtime/generated/groups.gen.ts`. */
export function renderGroupLoaders(units: readonly ScannedUnit[]): string {
  const groups = groupsOf(units);
  const body =
    groups.length === 0
      ? ["export const groupLoaders: GroupLoaders = {};"]
      : ["export const groupLoaders: GroupLoaders = {", ...groups.map(renderLoader), "};"];
  return [
    sourceHeader("functions/"),
    'import type { GroupLoaders } from "../registry.js";',
    "",
    ...body,
    "",
  ].join("\n");
}

/** One `<group>: async () => { … }` property, its lines joined. */
function renderLoader(group: string): string {
  const specifier = JSON.stringify(groupModuleSpecifier(group));
  return [
    `  ${propertyKey(group)}: async () => {`,
    `    const { group } = await import(${specifier});`,
    "    return group;",
    "  },",
  ].join("\n");
}
