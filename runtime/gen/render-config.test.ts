import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { CONFIG_TABLE_END, CONFIG_TABLE_START, renderConfigTable, withConfigTable } from "./render-config.js";

describe("the README's configuration table", () => {
  const settings = {
    PORT: v.pipe(v.optional(v.string(), "3000"), v.transform(Number), v.description("where it listens")),
    HOST: v.pipe(v.optional(v.string()), v.description("interface"), v.metadata({ shownDefault: "all" })),
  };

  it("shows each setting's default (as parsed from unset, or as the setting says) and its description", () => {
    expect(renderConfigTable(settings).split("\n")).toEqual([
      "| variable | default | meaning          |",
      "| -------- | ------- | ---------------- |",
      "| `PORT`   | `3000`  | where it listens |",
      "| `HOST`   | all     | interface        |",
    ]);
  });

  it("refuses a setting without a description", () => {
    expect(() => renderConfigTable({ SECRET: v.optional(v.string()) })).toThrow("SECRET has no description");
  });

  it("replaces only what is between the markers", () => {
    const readme = `# x\n${CONFIG_TABLE_START}\nold\n${CONFIG_TABLE_END}\nafter\n`;
    expect(withConfigTable(readme, "| new |")).toBe(
      `# x\n${CONFIG_TABLE_START}\n\n| new |\n\n${CONFIG_TABLE_END}\nafter\n`,
    );
    expect(() => withConfigTable("# no markers\n", "| t |")).toThrow("markers are missing");
  });
});
