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
    byName.set(unit.name, { unit, listing, inputFields });
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

const MAX_ISSUES = 5;

export function describeIssues(issues: readonly StandardSchemaV1.Issue[]): string {
  const parts = issues.slice(0, MAX_ISSUES).map((issue) => {
    const at = issuePath(issue);
    const message = isUnknownField(issue) ? "unknown field, not taken here" : issue.message;
    return at ? `${at}: ${message}` : message;
  });
  if (issues.length > MAX_ISSUES) parts.push(`and ${issues.length - MAX_ISSUES} more`);
  return parts.join("; ");
}

/** valibot's issue for a key a v.strictObject does not declare ("Invalid key: Expected never …"). */
const isUnknownField = (issue: StandardSchemaV1.Issue) =>
  (issue as { type?: unknown }).type === "strict_object" &&
  (issue as { expected?: unknown }).expected === "never";

/** ["tasks", 2, "title"] → "tasks[2].title". */
function issuePath(issue: StandardSchemaV1.Issue): string {
  let path = "";
  for (const segment of issue.path ?? []) {
    const key = typeof segment === "object" ? segment.key : segment;
    if (typeof key === "number") path += `[${key}]`;
    else path += path ? `.${String(key)}` : String(key);
  }
  return path;
}
