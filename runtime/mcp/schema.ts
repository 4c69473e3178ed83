/**
 * Tools declare valibot schemas; MCP speaks JSON Schema. Each tool's listing is derived once, and a
 * tool a model would misuse is refused at start, naming the tool and the field: an input field
 * without a description, a nested input object that is not strict, an input or output that is not an
 * object, annotations left implicit.
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import { toJsonSchema } from "@valibot/to-json-schema";
import type { BaseIssue, BaseSchema } from "valibot";
import type { ToolDefinition } from "../define.js";
import { describeIssues } from "../issues.js";
import type { RegisteredTool } from "../registry.js";

type JsonObject = Record<string, unknown>;
type ObjectSchema = JsonObject & { type: "object" };

/** What `tools/list` says about a tool (the MCP `Tool` object). */
export interface ToolListing {
  name: string;
  title: string;
  description: string;
  inputSchema: ObjectSchema;
  outputSchema: ObjectSchema;
  annotations: ToolDefinition["annotations"];
}

export interface CompiledTool {
  unit: ToolDefinition;
  listing: ToolListing;
  /** The input's top-level field names: any other argument is refused (see unknownArguments). */
  inputFields: ReadonlySet<string>;
  /** Where a null argument means "not given" (see withoutNulls). */
  nulls: NullPlan;
}

export class ToolDefinitionError extends Error {
  override readonly name = "ToolDefinitionError";
}

const compiled = new WeakMap<readonly RegisteredTool[], ReadonlyMap<string, CompiledTool>>();

/**
 * The tools by name with their derived schemas. Cached per registry array: stateless HTTP builds a
 * server for every request, and the JSON Schemas never change after start.
 */
export function compileTools(tools: readonly RegisteredTool[]): ReadonlyMap<string, CompiledTool> {
  const cached = compiled.get(tools);
  if (cached) return cached;
  const byName = new Map<string, CompiledTool>();
  for (const { unit } of tools) {
    if (byName.has(unit.name)) throw new ToolDefinitionError(`two tools are named "${unit.name}"`);
    const listing = listTool(unit);
    const inputFields = new Set(
      Object.keys(isObject(listing.inputSchema.properties) ? listing.inputSchema.properties : {}),
    );
    // Planned from the schema as valibot enforces it, then advertised: null is taken for every optional field.
    const nulls = planNulls(listing.inputSchema);
    advertiseNulls(listing.inputSchema);
    byName.set(unit.name, { unit, listing, inputFields, nulls });
  }
  compiled.set(tools, byName);
  return byName;
}

function listTool(tool: ToolDefinition): ToolListing {
  const fail = (problem: string) => new ToolDefinitionError(`tool "${tool.name}": ${problem}`);
  if (!tool.description.trim()) throw fail("has no description");
  const { readOnlyHint, destructiveHint } = tool.annotations;
  // MCP reads a missing destructiveHint as true, so a create tool that forgets it looks destructive.
  if (typeof readOnlyHint !== "boolean") throw fail("annotations.readOnlyHint must be set (true or false)");
  if (!readOnlyHint && typeof destructiveHint !== "boolean") {
    throw fail("annotations.destructiveHint must be set (true or false) on a tool that writes");
  }
  const inputSchema = objectSchema(tool, "input");
  // Said to the model as it is enforced: an argument the tool does not take is refused (unknownArguments).
  inputSchema.additionalProperties = false;
  const missing: string[] = [];
  visitFields(inputSchema, "", missing);
  if (missing.length > 0) {
    const fields = missing.map((field) => `"${field}"`).join(", ");
    throw fail(
      `input field ${fields} has no description; add v.description("…") (in a pipe, before any transform)`,
    );
  }
  const loose = looseObjects(inputSchema, "");
  if (loose.length > 0) {
    const fields = loose.map((field) => `"${field}"`).join(", ");
    throw fail(
      `input field ${fields} is an object that would drop fields it does not know; use v.strictObject(...)`,
    );
  }
  const outputSchema = objectSchema(tool, "output");
  visitFields(outputSchema, "", undefined);
  const title = tool.annotations.title ?? titleOf(tool.name);
  return {
    name: tool.name,
    title,
    description: tool.description,
    inputSchema,
    outputSchema,
    annotations: { title, ...tool.annotations },
  };
}

function objectSchema(tool: ToolDefinition, which: "input" | "output"): ObjectSchema {
  const schema = tool[which];
  if (schema["~standard"].vendor !== "valibot" || !("kind" in schema)) {
    throw new ToolDefinitionError(`tool "${tool.name}": its ${which} must be a valibot schema`);
  }
  // Actions JSON Schema cannot say (trim, custom checks) are left out rather than fatal: valibot
  // still enforces them on every call, the JSON Schema only guides the model.
  const json = toJsonSchema(schema as BaseSchema<unknown, unknown, BaseIssue<unknown>>, {
    typeMode: which,
    errorMode: "ignore",
  }) as JsonObject;
  if (json.type !== "object") {
    throw new ToolDefinitionError(`tool "${tool.name}": its ${which} must be a v.object(...) schema`);
  }
  return json as ObjectSchema;
}

/**
 * Walks every property, nested ones included, collecting those without a description (when `missing`
 * is given). `v.nullish(v.pipe(..., v.description()))` puts the description inside an anyOf branch,
 * where clients do not look; it is lifted onto the property first.
 */
function visitFields(node: JsonObject, path: string, missing: string[] | undefined): void {
  const properties = isObject(node.properties) ? node.properties : {};
  for (const [key, property] of Object.entries(properties)) {
    if (!isObject(property)) continue;
    const at = path ? `${path}.${key}` : key;
    liftDescription(property);
    if (typeof property.description !== "string" || !property.description.trim()) missing?.push(at);
    visitFields(property, at, missing);
  }
  if (isObject(node.items)) visitFields(node.items, `${path}[]`, missing);
  for (const branch of branches(node)) visitFields(branch, path, missing);
}

/**
 * Nested objects that do not say `additionalProperties: false`, i.e. were not v.strictObject: valibot
 * drops a field they do not know, so a misspelt one inside (an add_tasks item's "due") would be lost
 * without a word. The top level is checked on every call instead (unknownArguments).
 */
function looseObjects(node: JsonObject, path: string, nested = false): string[] {
  const found = nested && node.type === "object" && node.additionalProperties !== false ? [path] : [];
  const properties = isObject(node.properties) ? node.properties : {};
  for (const [key, property] of Object.entries(properties)) {
    if (isObject(property)) found.push(...looseObjects(property, path ? `${path}.${key}` : key, true));
  }
  if (isObject(node.items)) found.push(...looseObjects(node.items, `${path}[]`, true));
  for (const branch of branches(node)) found.push(...looseObjects(branch, path, nested));
  return found;
}

function liftDescription(property: JsonObject): void {
  if (property.description !== undefined) return;
  const described = branches(property).find((branch) => typeof branch.description === "string");
  if (!described) return;
  property.description = described.description;
  delete described.description;
}

const branches = (node: JsonObject): JsonObject[] =>
  [node.anyOf, node.oneOf, node.allOf].flatMap((list) => (Array.isArray(list) ? list.filter(isObject) : []));

const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** "add_task" → "Add task". */
const titleOf = (name: string) => {
  const words = name.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/**
 * Why `args` has fields the tool does not take, or undefined. A misspelt field ("due_date_before") must
 * not be dropped silently: the call would succeed and mean something else (an unfiltered list, an
 * update that changed nothing), and the model would report it as done.
 */
export function unknownArguments(tool: CompiledTool, args: unknown): string | undefined {
  if (!isObject(args)) return undefined;
  const unknown = Object.keys(args).filter((key) => !tool.inputFields.has(key));
  if (unknown.length === 0) return undefined;
  const takes =
    tool.inputFields.size === 0 ? "it takes no arguments" : `it takes ${[...tool.inputFields].join(", ")}`;
  const names = unknown.slice(0, 5).map((key) => JSON.stringify(key.slice(0, 64)));
  return `unknown field${unknown.length === 1 ? "" : "s"} ${names.join(", ")}${unknown.length > 5 ? " and more" : ""} (${takes})`;
}

/**
 * Strict function-calling clients (OpenAI's strict mode, several agent frameworks) send every field,
 * null for each one the model left unset. An optional field that does not take null itself reads such a
 * null as "not given"; a field that does (update_task's `due_date: null` clears it) keeps its meaning.
 * The plan says, per object in the input (nested items included), which keys to drop when null.
 */
export interface NullPlan {
  /** Optional keys of this object whose own schema refuses null. */
  drop: ReadonlySet<string>;
  /** Plans for the objects (or arrays of objects) under some keys. */
  nested: ReadonlyMap<string, NullPlan>;
}

function planNulls(node: JsonObject): NullPlan {
  const properties = isObject(node.properties) ? node.properties : {};
  const required = new Set(Array.isArray(node.required) ? node.required : []);
  const drop = new Set<string>();
  const nested = new Map<string, NullPlan>();
  for (const [key, property] of Object.entries(properties)) {
    if (!isObject(property)) continue;
    if (!required.has(key) && !takesNull(property)) drop.add(key);
    const inner = objectShape(property);
    if (inner) nested.set(key, planNulls(inner));
  }
  return { drop, nested };
}

/** Says in the listing what withoutNulls does: every optional field also takes null. */
function advertiseNulls(node: JsonObject): void {
  const properties = isObject(node.properties) ? node.properties : {};
  const required = new Set(Array.isArray(node.required) ? node.required : []);
  for (const [key, property] of Object.entries(properties)) {
    if (!isObject(property)) continue;
    const inner = objectShape(property);
    if (inner) advertiseNulls(inner);
    if (required.has(key) || takesNull(property)) continue;
    if (typeof property.type === "string") {
      property.type = [property.type, "null"];
      if (Array.isArray(property.enum)) property.enum = [...property.enum, null];
    } else if (Array.isArray(property.anyOf)) property.anyOf.push({ type: "null" });
  }
}

/** The object schema a property holds, directly or as its array's items. */
function objectShape(property: JsonObject): JsonObject | undefined {
  if (property.type === "object") return property;
  if (property.type === "array" && isObject(property.items) && property.items.type === "object")
    return property.items;
  return undefined;
}

const takesNull = (node: JsonObject): boolean =>
  node.type === undefined && node.anyOf === undefined && node.oneOf === undefined && node.enum === undefined
    ? true
    : node.type === "null" ||
      (Array.isArray(node.type) && node.type.includes("null")) ||
      (Array.isArray(node.enum) && node.enum.includes(null)) ||
      branches(node).some(takesNull);

/** `args` without the nulls that mean "not given"; anything not an object is returned as it is. */
export function withoutNulls(plan: NullPlan, args: unknown): unknown {
  if (Array.isArray(args)) return args.map((item) => withoutNulls(plan, item));
  if (!isObject(args)) return args;
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(args)) {
    if (value === null && plan.drop.has(key)) continue;
    const inner = plan.nested.get(key);
    result[key] = inner && value !== null ? withoutNulls(inner, value) : value;
  }
  return result;
}

/**
 * The path of the first string in `args` holding a NUL character, or undefined. PostgreSQL cannot store
 * U+0000 in text, so without this check such a title would come back as INTERNAL_ERROR.
 */
export function nulCharacterAt(args: unknown, path = ""): string | undefined {
  if (typeof args === "string") return args.includes("\u0000") ? path || "(the arguments)" : undefined;
  if (Array.isArray(args)) {
    for (const [index, item] of args.entries()) {
      const found = nulCharacterAt(item, `${path}[${index}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (!isObject(args)) return undefined;
  for (const [key, value] of Object.entries(args)) {
    const found = nulCharacterAt(value, path ? `${path}.${key}` : key);
    if (found !== undefined) return found;
  }
  return undefined;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/** Validates through Standard Schema; a failure becomes one sentence naming each field and its problem. */
export async function check<T extends StandardSchemaV1>(
  schema: T,
  value: unknown,
): Promise<Checked<StandardSchemaV1.InferOutput<T>>> {
  const result = await schema["~standard"].validate(value);
  if (!result.issues) return { ok: true, value: result.value };
  return { ok: false, message: describeIssues(result.issues) };
}
