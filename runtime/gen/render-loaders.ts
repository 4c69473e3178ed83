/**
 * Renders `runtime/generated/groups.gen.ts`: `groupLoaders`, one function per group that imports the group's module
 * (`render-group.ts`) when called. The file itself imports no unit, so `serve --group <group>` and `mcp` look a
 * group up by name and load its code only, never every group's.
 *
 * The text is formatted by construction, in the shape biome's formatter keeps. Each loader is a block, not the
 * one-line `async () => (await import(…)).group`: biome breaks that one-liner in several ways as a group name gets
 * longer, whereas in a block only two lines can overflow, each breaking in one known way (see `fitOrBreak`).
 */
import { groupModuleSpecifier } from "./render-group.js";
import { fitOrBreak, fitsOnLine, propertyKey, sourceHeader } from "./ts-source.js";
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
  const key = propertyKey(group);
  // A key too long for `key: async () => {` on one line moves the function to the next line, indented.
  const oneLineHead = `  ${key}: async () => {`;
  const headFits = fitsOnLine(oneLineHead);
  const head = headFits ? oneLineHead : `  ${key}:\n    async () => {`;
  const indent = headFits ? "    " : "      ";
  const specifier = JSON.stringify(groupModuleSpecifier(group));
  const load = fitOrBreak(
    `${indent}const { group } = await import(${specifier});`,
    `${indent}const { group } = await import(\n${indent}  ${specifier}\n${indent});`,
  );
  return [head, load, `${indent}return group;`, `${indent.slice(2)}},`].join("\n");
}
