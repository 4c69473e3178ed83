/**
 * Rows and contexts for the category, tag and task-tag tests: users and tasks inserted with plain SQL,
 * and tools called as plain functions, their input and output checked against the tool's own schemas
 * (what the MCP layer does around every call).
 */
import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { Sql } from "postgres";
import type { ToolDefinition } from "../../runtime/define.js";
import type { ToolContext, User } from "../../runtime/domain/context.js";
import { silentLogger } from "../../runtime/log.js";

let users = 0;

export async function insertUser(sql: Sql): Promise<User> {
  const [row] = await sql<{ id: string; email: string }[]>`
    insert into users (email) values (${`user${++users}.${process.pid}.${Date.now()}@example.com`})
    returning id, email`;
  if (!row) throw new Error("no user inserted");
  return { id: row.id, email: row.email, displayName: null, timeZone: "UTC", defaultReminderMinutes: 60 };
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

/** Calls a tool as the MCP layer would: input through its schema, output checked against its outputSchema. */
export async function call<I extends StandardSchemaV1, O extends StandardSchemaV1>(
  tool: ToolDefinition<I, O, ToolContext>,
  ctx: ToolContext,
  raw: StandardSchemaV1.InferInput<I>,
): Promise<StandardSchemaV1.InferOutput<O>> {
  const input = await tool.input["~standard"].validate(raw);
  if (input.issues) throw new Error(`input rejected: ${JSON.stringify(input.issues)}`);
  const result = await tool.handle(input.value, ctx);
  const output = await tool.output["~standard"].validate(result);
  if (output.issues) throw new Error(`output does not match outputSchema: ${JSON.stringify(output.issues)}`);
  return result;
}

/**
 * Opens `n` pool connections up front. Racing writes on a cold pool are staggered by connection set-up
 * (tens of milliseconds each), which serialises them and would let a missing lock go unnoticed.
 */
export async function warmPool(sql: Sql, n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => sql`select pg_sleep(0.05)`));
}
