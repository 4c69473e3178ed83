/**
 * Renders `runtime/generated/groups/<group>.gen.ts`, one module per function group: a static import of each of the
 * group's units (a broken handler fails when its group starts, not on its first message) and the `group` object
 * the router serves from. It imports no other group's code, so `serve --group email` (which loads this module
 * alone, through `groups.gen.ts`) never pays for the backend's tools or the packages they use.
 *
 * Imports are in code-point order of their path, and the file tells biome's import sorter to leave them alone;
 * biome formats the rest (format.ts).
 */
import { camelCase, KEEP_IMPORT_ORDER, sourceHeader, uniqueIdentifiers } from "./ts-source.js";
import { byCodePoint, type GeneratedFile, groupsOf, type ScannedUnit, unitsOf } from "./units.js";

/** Where the group modules are written, relative to the project root. */
export const GROUPS_DIR = "runtime/generated/groups";

const KIND_SUFFIX = { subscription: "Topic", job: "Job", tool: "Tool", setup: "Setup" } as const;

/** `email` → `runtime/generated/groups/email.gen.ts`; group names are kebab-case, so always a plain file name. */
export function groupModulePath(group: string): string {
  return `${GROUPS_DIR}/${group}.gen.ts`;
}

/** How the modules in `runtime/generated/` import a group module. */
export function groupModuleSpecifier(group: string): string {
  return `./groups/${group}.gen.js`;
}

/** One module per group that has units, sorted by path. */
export function renderGroupModules(units: readonly ScannedUnit[]): GeneratedFile[] {
  return groupsOf(units)
    .map((group) => ({ path: groupModulePath(group), content: renderGroupModule(units, group) }))
    .sort((a, b) => byCodePoint(a.path, b.path));
}

/** The source text of `runtime/generated/groups/<group>.gen.ts`; `units` may hold other groups' units too. */
export function renderGroupModule(units: readonly ScannedUnit[], group: string): string {
  const members = units.filter((u) => u.group === group).sort((a, b) => byCodePoint(a.file, b.file));
  const identifiers = importIdentifiers(members);
  const importLines = members.map(
    (u) => `import ${identifiers.get(u)} from ${JSON.stringify(unitImportSpecifier(u.file))};`,
  );

  const body = ["export const group = {"];
  for (const [kind, field] of [
    ["subscription", "subscriptions"],
    ["job", "jobs"],
    ["tool", "tools"],
    ["setup", "setups"],
  ] as const) {
    const ofKind = unitsOf(members, group, kind);
    // `setups` is optional: a group without setup files renders as before.
    if (ofKind.length === 0 && kind === "setup") continue;
    if (ofKind.length === 0) {
      body.push(`  ${field}: [],`);
      continue;
    }
    body.push(`  ${field}: [`);
    for (const u of ofKind) {
      body.push("    {", `      name: ${JSON.stringify(u.name)},`);
      if (u.kind === "subscription") {
        body.push(`      route: ${JSON.stringify(u.route)},`);
      }
      body.push(`      unit: ${identifiers.get(u)},`, "    },");
    }
    body.push("  ],");
  }
  body.push("} satisfies GroupRegistry;");

  return [
    sourceHeader(`functions/${group}/`),
    KEEP_IMPORT_ORDER,
    ...importLines,
    'import type { GroupRegistry } from "../../registry.js";',
    "",
    ...body,
    "",
  ].join("\n");
}

/** `functions/email/reminder-due.topic.ts` → `../../../functions/email/reminder-due.topic.js` (from groups/). */
function unitImportSpecifier(file: string): string {
  return `../../../${file.replace(/\.ts$/, ".js")}`;
}

/**
 * `email` + `reminder-due` (topic) → `email_reminderDueTopic`; `backend` + `get_task` (tool) → `backend_getTaskTool`.
 * The group prefix starts with a letter, so a unit name starting with a digit still makes an identifier; the kind
 * suffix keeps a topic and a job of the same name apart. `members` are in path order, so clash numbers are stable.
 */
function importIdentifiers(members: readonly ScannedUnit[]): Map<ScannedUnit, string> {
  return uniqueIdentifiers(
    members,
    (u) => `${camelCase(u.group)}_${camelCase(u.name)}${KIND_SUFFIX[u.kind]}`,
    ["GroupRegistry", "group"],
  );
}
