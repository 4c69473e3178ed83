/**
 * Rows and contexts for the category, tag and task-tag tests: users and tasks inserted with plain SQL,
 * and tools called as plain functions, their input and output checked against the tool's own schemas
 * (what the MCP layer does around every call) and the output against the JSON Schema it advertises.
 */

import type { JsonSchemaValidator } from "@modelcontextprotocol/sdk/validation";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv";
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Sql } from "postgres";
import type { ToolContext, User } from "../../functions/_shared/domain/context.js";
import type { ToolDefinition } from "../../runtime/define.js";
import { silentLogger } from "../../runtime/log.js";
import { compileTools } from "../../runtime/mcp/schema.js";

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
 * Calls a tool as the MCP layer would: input through its schema, output checked against its valibot
 * output and, as JSON on the wire, against the outputSchema `tools/list` advertises, with the SDK
 * client's own Ajv set-up (formats included): a result valibot passes but the client would reject
 * fails here.
 */
export async function call<I extends StandardSchemaV1, O extends StandardSchemaV1>(
  tool: ToolDefinition<I, O, ToolContext>,
  ctx: ToolContext,
  raw: StandardSchemaV1.InferInput<I>,
): Promise<StandardSchemaV1.InferOutput<O>> {
  const input = await tool.input["~standard"].validate(raw);
  if (input.issues) throw new Error(`input rejected: ${JSON.stringify(input.issues)}`);
  const result = await tool.handle(input.value, ctx);
  const output = await tool.output["~standard"].validate(result);
  if (output.issues)
    throw new Error(`output does not match the valibot output: ${JSON.stringify(output.issues)}`);
  const checked = advertisedOutput(tool as unknown as ToolDefinition)(
    JSON.parse(JSON.stringify(output.value)),
  );
  if (!checked.valid)
    throw new Error(`output does not match the advertised outputSchema: ${checked.errorMessage}`);
  return result;
}

const validators = new WeakMap<ToolDefinition, JsonSchemaValidator<unknown>>();
const ajv = new AjvJsonSchemaValidator();

function advertisedOutput(tool: ToolDefinition): JsonSchemaValidator<unknown> {
  let validate = validators.get(tool);
  if (!validate) {
    const listing = compileTools([{ name: tool.name, unit: tool }]).get(tool.name)?.listing;
    if (!listing) throw new Error(`tool ${tool.name} has no listing`);
    validate = ajv.getValidator(listing.outputSchema);
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
