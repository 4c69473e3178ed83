/**
 * `<name>.setup.ts`: how a group contributes readiness checks, start/stop hooks, MCP authentication and CLI
 * commands through the define API, and what the generator makes of it.
 */
import { describe, expect, it } from "vitest";
import { fakeMcpSetup } from "../../test/support/fake-mcp-setup.js";
import { problemsOf } from "../../test/support/generator-problems.js";
import { defineSetup } from "../define.js";
import { renderCommands } from "./render-commands.js";
import { renderGroupModule } from "./render-group.js";
import { buildRegistry } from "./render-registry.js";
import { validateUnits } from "./validate.js";

const command = { summary: "say hello", help: "Usage: taskbeat hello", run: async () => 0 };
const loaded = (path: string, unit: unknown) => ({ path, module: { default: unit } });

describe("setup files", () => {
  const units = validateUnits([
    loaded("alpha/mail.setup.ts", defineSetup({ start: () => undefined, commands: { hello: command } })),
    loaded("beta/auth.setup.ts", defineSetup({ mcp: fakeMcpSetup() })),
  ]);

  it("are scanned as setups of their group, named by their file", () => {
    expect(units.map(({ kind, group, name }) => ({ kind, group, name }))).toEqual([
      { kind: "setup", group: "alpha", name: "mail" },
      { kind: "setup", group: "beta", name: "auth" },
    ]);
    expect(buildRegistry(units).alpha?.setups?.map((setup) => setup.name)).toEqual(["mail"]);
  });

  it("render into the group module as `setups`, and a group without one renders as before", () => {
    expect(renderGroupModule(units, "alpha")).toContain(
      ["  setups: [", "    {", '      name: "mail",', "      unit: alpha_mailSetup,", "    },", "  ],"].join(
        "\n",
      ),
    );
  });

  it("list their commands with summaries, loadable without importing any group up front", () => {
    const text = renderCommands(units);
    expect(text).toContain('  hello: {\n    summary: "say hello",');
    expect(text).toContain('"../../functions/alpha/mail.setup.js"');
    expect(text).toContain("export const toolGroups: readonly string[] = [];");
  });

  it("are refused when a hook is not a function, a command is incomplete, or two set up MCP", () => {
    expect(
      problemsOf([
        loaded("alpha/a.setup.ts", { kind: "setup", start: "soon", commands: { hi: { summary: "" } } }),
        loaded("alpha/b.setup.ts", defineSetup({ mcp: fakeMcpSetup() })),
        loaded("beta/c.setup.ts", defineSetup({ mcp: fakeMcpSetup(), commands: { serve: command } })),
      ]),
    ).toEqual([
      "functions/alpha/a.setup.ts: start must be a function",
      'functions/alpha/a.setup.ts: command "hi" needs run(argv), a one-line summary and its help text',
      "functions/beta/c.setup.ts: functions/alpha/b.setup.ts already sets up MCP (authentication and tool context); keep one mcp setup",
      'functions/beta/c.setup.ts: command "serve" is one of taskbeat\'s own; choose another name',
    ]);
  });
});
