/**
 * Renders `runtime/generated/commands.gen.ts`: the CLI commands the groups' setups add (`taskbeat users`), each
 * with its summary, so `taskbeat --help` lists them without importing any group, and `toolGroups`, the groups
 * that serve MCP tools, so `taskbeat mcp` loads those and no other.
 */
import { propertyKey, sourceHeader } from "./ts-source.js";
import { byCodePoint, type ScannedUnit } from "./units.js";

export const COMMANDS_PATH = "runtime/generated/commands.gen.ts";

export function renderCommands(units: readonly ScannedUnit[]): string {
  const entries: string[] = [];
  const setups = units
    .filter((u): u is Extract<ScannedUnit, { kind: "setup" }> => u.kind === "setup")
    .sort((a, b) => byCodePoint(a.file, b.file));
  const commands = setups
    .flatMap((setup) => Object.entries(setup.unit.commands ?? {}).map(([name, c]) => ({ setup, name, c })))
    .sort((a, b) => byCodePoint(a.name, b.name));
  for (const { setup, name, c } of commands) {
    const specifier = JSON.stringify(`../../${setup.file.replace(/\.ts$/, ".js")}`);
    const summary = JSON.stringify(c.summary.trim());
    entries.push(
      `  ${propertyKey(name)}: {`,
      `    summary: ${summary},`,
      "    load: async () => {",
      `      const { default: setup } = await import(${specifier});`,
      `      return setup.commands?.${/^[A-Za-z_$][\w$]*$/.test(name) ? name : `[${JSON.stringify(name)}]`};`,
      "    },",
      "  },",
    );
  }
  const toolGroups = [...new Set(units.filter((u) => u.kind === "tool").map((u) => u.group))].sort(
    byCodePoint,
  );
  const groupsLine = `export const toolGroups: readonly string[] = [${toolGroups.map((g) => JSON.stringify(g)).join(", ")}];`;
  return [
    sourceHeader("functions/"),
    'import type { CommandLoaders } from "../registry.js";',
    "",
    entries.length === 0
      ? "export const commandLoaders: CommandLoaders = {};"
      : ["export const commandLoaders: CommandLoaders = {", ...entries, "};"].join("\n"),
    "",
    "/** The groups that serve MCP tools. */",
    groupsLine,
    "",
  ].join("\n");
}
