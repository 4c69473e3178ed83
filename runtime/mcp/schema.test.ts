import * as v from "valibot";
import { describe, expect, it } from "vitest";
import { defineTool, type ToolAnnotations } from "../define.js";
import { describeIssues } from "../issues.js";
import type { RegisteredTool } from "../registry.js";
import {
  check,
  compileTools,
  nulCharacterAt,
  ToolDefinitionError,
  unknownArguments,
  withoutNulls,
} from "./schema.js";

const Output = v.object({ ok: v.boolean() });

function tool(
  input: v.GenericSchema,
  overrides: { name?: string; annotations?: ToolAnnotations; output?: v.GenericSchema } = {},
): RegisteredTool {
  const name = overrides.name ?? "probe_tool";
  const unit = defineTool({
    name,
    description: "A probe.",
    input,
    output: overrides.output ?? Output,
    annotations: overrides.annotations ?? { readOnlyHint: true },
    handle: () => ({ ok: true }),
    summarize: () => "ok",
  });
  return { name, unit };
}

const described = (text: string) => v.pipe(v.string(), v.description(text));

describe("compileTools", () => {
  it("derives object JSON Schemas and lifts nullish descriptions onto the property", () => {
    const input = v.object({
      title: v.pipe(v.string(), v.trim(), v.minLength(1), v.description("The title.")),
      due: v.nullish(v.pipe(v.string(), v.description("When it is due."))),
      tags: v.optional(
        v.pipe(v.array(v.strictObject({ name: described("A tag.") })), v.description("Tags.")),
      ),
    });
    const listing = compileTools([tool(input, { name: "add_thing" })]).get("add_thing")?.listing;
    expect(listing?.title).toBe("Add thing");
    expect(listing?.annotations).toEqual({ title: "Add thing", readOnlyHint: true });
    expect(listing?.inputSchema).toMatchObject({
      type: "object",
      required: ["title"],
      properties: {
        title: { type: "string", minLength: 1, description: "The title." },
        due: { description: "When it is due.", anyOf: [{ type: "string" }, { type: "null" }] },
        tags: { type: ["array", "null"], items: { properties: { name: { description: "A tag." } } } },
      },
    });
    expect(listing?.outputSchema).toMatchObject({ type: "object", properties: { ok: { type: "boolean" } } });
  });

  it.each([
    ["a top-level field", v.object({ title: v.string() }), '"title"'],
    [
      "a nested field",
      v.object({ tasks: v.pipe(v.array(v.object({ x: v.number() })), v.description("T.")) }),
      '"tasks[].x"',
    ],
    // In input mode the JSON Schema stops at the first transform, so a description after it is lost.
    [
      "a description after a transform",
      v.object({ n: v.pipe(v.string(), v.transform(Number), v.description("N.")) }),
      '"n"',
    ],
  ])("refuses %s without a description, naming tool and field", (_case, input, field) => {
    expect(() => compileTools([tool(input)])).toThrow(ToolDefinitionError);
    expect(() => compileTools([tool(input)])).toThrow(
      `tool "probe_tool": input field ${field} has no description`,
    );
  });

  it("says no other arguments are taken, and refuses them by name", () => {
    const input = v.object({ status: described("S."), due_before: v.optional(described("D.")) });
    const compiled = compileTools([tool(input, { name: "list_things" })]).get("list_things");
    if (!compiled) throw new Error("not compiled");
    expect(compiled.listing.inputSchema.additionalProperties).toBe(false);
    expect(unknownArguments(compiled, { status: "x", due_before: "y" })).toBeUndefined();
    expect(unknownArguments(compiled, { status: "x", due_date_before: "y" })).toBe(
      'unknown field "due_date_before" (it takes status, due_before)',
    );
    expect(unknownArguments(compiled, { a: 1, b: 2 })).toBe(
      'unknown fields "a", "b" (it takes status, due_before)',
    );
    // Not an object: left to the schema, which says what it expected.
    expect(unknownArguments(compiled, "text")).toBeUndefined();
    const none = compileTools([tool(v.object({}), { name: "no_args" })]).get("no_args");
    if (!none) throw new Error("not compiled");
    expect(unknownArguments(none, { verbose: true })).toBe('unknown field "verbose" (it takes no arguments)');
  });

  it("refuses a nested object that would drop fields it does not know", () => {
    const input = v.object({
      items: v.pipe(v.array(v.object({ name: described("N.") })), v.description("Items.")),
    });
    expect(() => compileTools([tool(input)])).toThrow(
      'tool "probe_tool": input field "items[]" is an object that would drop fields it does not know',
    );
  });

  it("refuses inputs and outputs that are not objects, and non-valibot schemas", () => {
    expect(() => compileTools([tool(v.string())])).toThrow(/its input must be a v.object/);
    expect(() => compileTools([tool(v.object({}), { output: v.array(v.string()) })])).toThrow(
      /its output must be a v.object/,
    );
    const foreign = { "~standard": { version: 1, vendor: "zod", validate: () => ({ value: {} }) } };
    expect(() => compileTools([tool(foreign as unknown as v.GenericSchema)])).toThrow(
      /must be a valibot schema/,
    );
  });

  it("refuses implicit annotations and duplicate names", () => {
    expect(() => compileTools([tool(v.object({}), { annotations: {} })])).toThrow(/readOnlyHint must be set/);
    expect(() => compileTools([tool(v.object({}), { annotations: { readOnlyHint: false } })])).toThrow(
      /destructiveHint must be set/,
    );
    expect(() => compileTools([tool(v.object({})), tool(v.object({}))])).toThrow(
      /two tools are named "probe_tool"/,
    );
  });

  it("compiles a registry once", () => {
    const tools = [tool(v.object({}))];
    expect(compileTools(tools)).toBe(compileTools(tools));
  });
});

describe("check", () => {
  const Input = v.object({
    title: v.pipe(v.string(), v.minLength(1, "must not be empty")),
    tasks: v.array(v.object({ due: v.string("must be a string") })),
  });

  it("returns the parsed value", async () => {
    expect(await check(Input, { title: "x", tasks: [], extra: 1 })).toEqual({
      ok: true,
      value: { title: "x", tasks: [] },
    });
  });

  it("names each field in one sentence-ready string", async () => {
    const result = await check(Input, { title: "", tasks: [{ due: "x" }, { due: 5 }] });
    expect(result).toEqual({
      ok: false,
      message: "title: must not be empty; tasks[1].due: must be a string",
    });
  });

  it("calls a field a strict object does not declare an unknown field", async () => {
    const Strict = v.object({ tasks: v.array(v.strictObject({ title: v.string() })) });
    expect(await check(Strict, { tasks: [{ title: "x", due: "tomorrow" }] })).toEqual({
      ok: false,
      message: "tasks[0].due: unknown field, not taken here",
    });
  });

  it("caps the list of problems", () => {
    const issues = Array.from({ length: 7 }, (_, i) => ({ message: `m${i}`, path: [i] }));
    expect(describeIssues(issues)).toBe("[0]: m0; [1]: m1; [2]: m2; [3]: m3; [4]: m4; and 2 more");
  });
});

describe("null as not given", () => {
  const input = v.object({
    id: described("Required."),
    note: v.pipe(v.optional(v.string()), v.description("Optional, refuses null itself.")),
    due: v.pipe(v.optional(v.nullable(v.string())), v.description("null clears it.")),
    mode: v.pipe(v.optional(v.picklist(["a", "b"])), v.description("A choice.")),
    items: v.pipe(
      v.optional(
        v.array(
          v.strictObject({
            title: described("T."),
            size: v.pipe(v.optional(v.number()), v.description("S.")),
          }),
        ),
      ),
      v.description("Items."),
    ),
  });
  const compiled = compileTools([tool(input, { name: "nulls" })]).get("nulls");

  it("drops null for optional fields that refuse it, nested items too, and keeps a meaningful null", () => {
    if (!compiled) throw new Error("not compiled");
    expect(
      withoutNulls(compiled.nulls, {
        id: null,
        note: null,
        due: null,
        mode: null,
        items: [{ title: "x", size: null }],
      }),
    ).toEqual({ id: null, due: null, items: [{ title: "x" }] });
    expect(withoutNulls(compiled.nulls, { items: null })).toEqual({});
  });

  it("advertises null for every optional field and leaves required ones alone", () => {
    const properties = compiled?.listing.inputSchema.properties as Record<string, Record<string, unknown>>;
    expect(properties.id).toMatchObject({ type: "string" });
    expect(properties.note).toMatchObject({ type: ["string", "null"] });
    expect(properties.due).toMatchObject({ anyOf: [{ type: "string" }, { type: "null" }] });
    expect(properties.mode).toMatchObject({ type: ["string", "null"], enum: ["a", "b", null] });
    expect(properties.items).toMatchObject({
      type: ["array", "null"],
      items: { properties: { size: { type: ["number", "null"] } } },
    });
  });
});

describe("nulCharacterAt", () => {
  it("names the first string holding U+0000, at any depth", () => {
    expect(nulCharacterAt({ a: "ok", b: ["x", "y\u0000"] })).toBe("b[1]");
    expect(nulCharacterAt({ tasks: [{ title: "ok" }, { title: "\u0000" }] })).toBe("tasks[1].title");
    expect(nulCharacterAt({ a: "fine", n: 1, z: null })).toBeUndefined();
  });
});
