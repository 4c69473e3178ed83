/**
 * Rules that hold for every tool of the backend, checked by iterating over the generated registry (a new
 * tool is covered, or this test fails until it gets a case): over real Streamable HTTP with the SDK's own
 * `Client`, against real PostgreSQL.
 * - null for each optional field reads as "not given" (strict function-calling clients send it);
 * - a NUL character in any string argument is a VALIDATION_ERROR naming the field;
 * - every summary and error sentence ends with exactly one full stop (or ? ! …), never "..".
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toolErrorOf } from "../../runtime/mcp/server.js";
import { connectClient, serveBackend, userToken } from "../support/backend-app.js";
import { useTestDb } from "../support/db.js";
import type { Served } from "../support/http.js";

const db = useTestDb("every-tool");

let served: Served;
let client: Client;
let tools: Tool[];
/** Every text an answer carried, to check the sentences of all of them at the end. */
const texts: Array<{ tool: string; text: string }> = [];

type Args = Record<string, unknown>;
type Json = Record<string, unknown>;

async function call(name: string, args: Args): Promise<CallToolResult> {
  const result = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const [first] = result.content;
  if (first?.type === "text") texts.push({ tool: name, text: first.text });
  return result;
}

async function ok<T = Json>(name: string, args: Args): Promise<T> {
  const result = await call(name, args);
  expect(toolErrorOf(result), `${name} ${JSON.stringify(args)}`).toBeUndefined();
  return result.structuredContent as T;
}

let n = 0;
const unique = (prefix: string) => `${prefix} ${++n}`;
const farFuture = "2099-06-01T09:00:00Z";

const newTask = async (fields: Args = {}) =>
  (await ok<{ task: { id: string } }>("add_task", { title: unique("Task"), due_date: farFuture, ...fields }))
    .task.id;
const newTag = async () => (await ok<{ id: string }>("create_tag", { name: unique("tag") })).id;
const newCategory = async () => (await ok<{ id: string }>("create_category", { name: unique("cat") })).id;

/**
 * The arguments each tool needs to succeed (required fields, and one change for the update tools), with
 * fresh rows where the call consumes one. Every other field is left to the test.
 */
const baseArgs: Record<string, () => Promise<Args>> = {
  add_tag_to_task: async () => ({ task_id: await newTask(), tag_id: await newTag() }),
  add_task: async () => ({ title: unique("Task") }),
  add_tasks: async () => ({ tasks: [{ title: unique("Batch") }] }),
  cancel_reminder: async () => ({
    reminder_id: (
      await ok<{ reminder: { id: string } }>("set_reminder", { task_id: await newTask(), minutes_before: 5 })
    ).reminder.id,
  }),
  complete_task: async () => ({ task_id: await newTask() }),
  create_category: async () => ({ name: unique("cat") }),
  create_tag: async () => ({ name: unique("tag") }),
  delete_category: async () => ({ category_id: await newCategory() }),
  delete_tag: async () => ({ tag_id: await newTag() }),
  delete_task: async () => ({ task_id: await newTask() }),
  get_settings: async () => ({}),
  get_task: async () => ({ task_id: await newTask() }),
  list_categories: async () => ({}),
  list_reminders: async () => ({}),
  list_tags: async () => ({}),
  list_tasks: async () => ({}),
  preview_recurrence: async () => ({ rule: "every weekday" }),
  remove_tag_from_task: async () => ({ task_id: await newTask(), tag_id: await newTag() }),
  search_tasks: async () => ({ query: "task" }),
  set_reminder: async () => ({ task_id: await newTask(), minutes_before: 30 }),
  uncomplete_task: async () => ({ task_id: await newTask() }),
  update_category: async () => ({ category_id: await newCategory(), name: unique("renamed") }),
  update_settings: async () => ({ display_name: "Ada" }),
  update_tag: async () => ({ tag_id: await newTag(), name: unique("renamed") }),
  update_task: async () => ({ task_id: await newTask(), title: unique("Renamed") }),
};

const propertiesOf = (schema: Json): Record<string, Json> =>
  (schema.properties as Record<string, Json> | undefined) ?? {};
const requiredOf = (schema: Json) => new Set((schema.required as string[] | undefined) ?? []);
const typesOf = (property: Json): unknown[] =>
  Array.isArray(property.type) ? property.type : [property.type];
const itemsOf = (property: Json) =>
  typesOf(property).includes("array") ? (property.items as Json | undefined) : undefined;

/** `args` plus null for every optional field not in it, nested objects in arrays (add_tasks items) too. */
function withNulls(schema: Json, args: Args): Args {
  const result: Args = { ...args };
  const required = requiredOf(schema);
  for (const [key, property] of Object.entries(propertiesOf(schema))) {
    const items = itemsOf(property);
    if (Array.isArray(result[key]) && items?.type === "object")
      result[key] = (result[key] as Args[]).map((item) => withNulls(items, item));
    if (!(key in result) && !required.has(key)) result[key] = null;
  }
  return result;
}

/** The paths of string fields (and arrays of strings), top level and in arrays of objects. */
function stringFields(schema: Json, prefix = ""): Array<{ path: string; set: (args: Args) => Args }> {
  const found: Array<{ path: string; set: (args: Args) => Args }> = [];
  for (const [key, property] of Object.entries(propertiesOf(schema))) {
    const path = `${prefix}${key}`;
    const items = itemsOf(property);
    if (typesOf(property).includes("string") || property.anyOf)
      found.push({ path, set: (args) => ({ ...args, [key]: "bad\u0000value" }) });
    else if (items && typesOf(items).includes("string"))
      found.push({ path: `${path}[0]`, set: (args) => ({ ...args, [key]: ["bad\u0000value"] }) });
    else if (items?.type === "object") {
      for (const inner of stringFields(items, `${path}[0].`)) {
        found.push({
          path: inner.path,
          set: (args) => ({ ...args, [key]: [inner.set(((args[key] as Args[]) ?? [{}])[0] ?? {})] }),
        });
      }
    }
  }
  return found;
}

beforeAll(async () => {
  served = await serveBackend(db.sql);
  client = await connectClient(
    served.url,
    await userToken(db.sql, "every@example.com", "Europe/Paris"),
    "every-tool",
  );
  tools = (await client.listTools()).tools;
});

afterAll(async () => {
  await client?.close();
  await served?.close();
});

describe("every tool", () => {
  it("has a case here", () => {
    expect(tools.map((tool) => tool.name).sort()).toEqual(Object.keys(baseArgs).sort());
  });

  it("reads null for each optional field as not given, and advertises that null is taken", async () => {
    for (const tool of tools) {
      const schema = tool.inputSchema as Json;
      const required = requiredOf(schema);
      for (const [key, property] of Object.entries(propertiesOf(schema))) {
        if (required.has(key)) continue;
        const takesNull =
          typesOf(property).includes("null") || JSON.stringify(property.anyOf ?? []).includes('"null"');
        expect(takesNull, `${tool.name}.${key} advertises null`).toBe(true);
      }
      const args = withNulls(schema, await (baseArgs[tool.name] ?? (async () => ({})))());
      const result = await call(tool.name, args);
      expect(toolErrorOf(result), `${tool.name} ${JSON.stringify(args)}`).toBeUndefined();
    }
  });

  it("refuses a NUL character in every string field with VALIDATION_ERROR naming the field", async () => {
    let checked = 0;
    for (const tool of tools) {
      const base = await (baseArgs[tool.name] ?? (async () => ({})))();
      for (const field of stringFields(tool.inputSchema as Json)) {
        const result = await call(tool.name, field.set(base));
        const error = toolErrorOf(result);
        expect(error?.code, `${tool.name}.${field.path}`).toBe("VALIDATION_ERROR");
        expect(error?.message, `${tool.name}.${field.path}`).toContain(
          `${field.path}: contains a NUL character`,
        );
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(30);
  });

  it("ends every summary and error sentence it answered with one full stop", () => {
    expect(texts.length).toBeGreaterThan(50);
    for (const { tool, text } of texts) {
      expect(text, tool).not.toMatch(/\.\.$/);
      expect(text, tool).toMatch(/[.!?…]$/);
      expect(text, tool).not.toContain("\n");
    }
  });
});
