/**
 * Rows and contexts for the category, tag and task-tag tests: users and tasks inserted with plain SQL,
 * and tools called through the MCP server's own call path (`call`, `callResult`).
 */

import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { JsonSchemaValidator } from "@modelcontextprotocol/sdk/validation";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Sql } from "postgres";
import { expect } from "vitest";
import type { ToolContext, User } from "../../functions/_shared/domain/context.js";
import { DomainError, type DomainErrorCode } from "../../functions/_shared/domain/errors.js";
import type { ToolDefinition } from "../../runtime/define.js";
import { type Logger, silentLogger } from "../../runtime/log.js";
import { type CompiledTool, compileTools } from "../../runtime/mcp/schema.js";
import { callTool, toolErrorOf } from "../../runtime/mcp/server.js";

let users = 0;

/** A user inserted with plain SQL; UTC and a 60-minute default reminder unless told otherwise. */
export async function insertUser(
  sql: Sql,
  options: { timeZone?: string; defaultReminderMinutes?: number | null } = {},
): Promise<User> {
  const timeZone = options.timeZone ?? "UTC";
  const minutes = options.defaultReminderMinutes === undefined ? 60 : options.defaultReminderMinutes;
  const [row] = await sql<{ id: string; email: string }[]>`
    insert into users (email, time_zone, default_reminder_minutes)
    values (${`user${++users}.${process.pid}.${Date.now()}@example.com`}, ${timeZone}, ${minutes})
    returning id, email`;
  if (!row) throw new Error("no user inserted");
  return { id: row.id, email: row.email, displayName: null, timeZone, defaultReminderMinutes: minutes };
}

export const contextFor = (sql: Sql, user: User): ToolContext => ({ sql, user, log: silentLogger });

export async function insertTask(
  sql: Sql,
  user: User,
  fields: { title?: string; categoryId?: string | null; completed?: boolean } = {},
): Promise<string> {
  const completed = fields.completed ?? false;
  const [row] = await sql<{ id: string }[]>`
    insert into tasks (user_id, title, time_zone, category_id, completed, completed_at)
    values (${user.id}, ${fields.title ?? "A task"}, 'UTC', ${fields.categoryId ?? null}, ${completed},
      ${completed ? sql`now()` : null})
    returning id`;
  if (!row) throw new Error("no task inserted");
  return row.id;
}

export async function tagTask(
  sql: Sql,
  user: User,
  taskId: string,
  tagIds: readonly string[],
): Promise<void> {
  for (const tagId of tagIds) {
    await sql`insert into task_tags (task_id, tag_id, user_id) values (${taskId}, ${tagId}, ${user.id})`;
  }
}

export interface OutboxRow {
  topic: string;
  partition_key: string;
  event: { id: string; type: string; subject: string; data: unknown };
}

export const outboxEvents = (sql: Sql): Promise<OutboxRow[]> =>
  sql<OutboxRow[]>`select topic, partition_key, event from outbox order by seq`;

/**
 * Calls a tool through the MCP server's own call path (`callTool`: nulls that mean "not given", the
 * unknown-argument refusal, NUL characters, input validation, the output check) and answers what a
 * client gets, the CallToolResult. Its structured content is also checked, as JSON on the wire, against
 * the outputSchema `tools/list` advertises, with the SDK client's own Ajv set-up (formats included), and
 * its text against the shape every answer has (one summary line, then the JSON).
 */
export async function callResult<I extends StandardSchemaV1, O extends StandardSchemaV1>(
  tool: ToolDefinition<I, O, ToolContext>,
  ctx: ToolContext,
  raw: unknown,
): Promise<CallToolResult & { thrown?: unknown }> {
  const compiled = compiledTool(tool as unknown as ToolDefinition);
  let thrown: unknown;
  const result = await callTool(compiled, raw, { ...ctx, log: capturing((error) => (thrown ??= error)) });
  if (result.isError) return { ...result, thrown };
  const [summary, json, ...rest] = result.content;
  if (summary?.type !== "text" || json?.type !== "text" || rest.length > 0)
    throw new Error(`a result is a summary and a JSON text block: ${JSON.stringify(result.content)}`);
  if (summary.text.includes("\n") || /\.\.$/.test(summary.text))
    throw new Error(`the summary is not one line ending in one full stop: ${JSON.stringify(summary.text)}`);
  expect(JSON.parse(json.text)).toEqual(result.structuredContent);
  const checked = advertisedOutput(compiled)(JSON.parse(json.text));
  if (!checked.valid)
    throw new Error(`output does not match the advertised outputSchema: ${checked.errorMessage}`);
  return result;
}

/**
 * `callResult`, for tests about what a tool does: its structured content, or, for an error result, the
 * error thrown again (a DomainError with the result's code and sentence; an INTERNAL_ERROR's cause).
 */
export async function call<I extends StandardSchemaV1, O extends StandardSchemaV1>(
  tool: ToolDefinition<I, O, ToolContext>,
  ctx: ToolContext,
  raw: StandardSchemaV1.InferInput<I>,
): Promise<StandardSchemaV1.InferOutput<O>> {
  const result = await callResult(tool, ctx, raw);
  const error = toolErrorOf(result);
  if (error?.code === "INTERNAL_ERROR" && result.thrown !== undefined) throw result.thrown;
  if (error) throw new DomainError(error.code as DomainErrorCode, error.message);
  return result.structuredContent as StandardSchemaV1.InferOutput<O>;
}

/** A logger that hands the error a tool call logs to `onError`, so a test sees the real cause. */
function capturing(onError: (error: unknown) => void): Logger {
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: (_msg, fields) => {
      if (fields && "error" in fields) onError(fields.error);
      else onError(new Error(`${_msg}: ${JSON.stringify(fields)}`));
    },
    child: () => logger,
  };
  return logger;
}

const compiledTools = new WeakMap<ToolDefinition, CompiledTool>();
const validators = new WeakMap<CompiledTool, JsonSchemaValidator<unknown>>();
const ajv = new AjvJsonSchemaValidator();

function compiledTool(tool: ToolDefinition): CompiledTool {
  let compiled = compiledTools.get(tool);
  if (!compiled) {
    compiled = compileTools([{ name: tool.name, unit: tool }]).get(tool.name);
    if (!compiled) throw new Error(`tool ${tool.name} did not compile`);
    compiledTools.set(tool, compiled);
  }
  return compiled;
}

function advertisedOutput(tool: CompiledTool): JsonSchemaValidator<unknown> {
  let validate = validators.get(tool);
  if (!validate) {
    validate = ajv.getValidator(tool.listing.outputSchema);
    validators.set(tool, validate);
  }
  return validate;
}

/**
 * Opens `n` pool connections up front. Racing writes on a cold pool are staggered by connection set-up
 * (tens of milliseconds each), which serialises them and would let a missing lock go unnoticed.
 */
export async function warmPool(sql: Sql, n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => sql`select pg_sleep(0.05)`));
}
