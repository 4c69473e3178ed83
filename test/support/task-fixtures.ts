/**
 * Users, contexts and checks for the task, reminder and search tool tests. Tools are called through the
 * MCP server's own call path (`call`, see label-fixtures.ts); errors are checked by their stable code.
 */
import type { Sql } from "postgres";
import { expect } from "vitest";
import { DomainError } from "../../functions/_shared/domain/errors.js";

export { call, callResult, contextFor, insertUser, type OutboxRow, outboxEvents } from "./label-fixtures.js";

/** Awaits a call that must fail with this DomainError code; returns the error for its message. */
export async function expectCode(promise: Promise<unknown>, code: string): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
  return error as DomainError;
}

export interface ReminderRowForTest {
  id: string;
  remind_at: Date;
  minutes_before: number | null;
  state: string;
}

export const remindersOf = (sql: Sql, taskId: string) =>
  sql<ReminderRowForTest[]>`
    select id, remind_at, minutes_before, state from reminders where task_id = ${taskId}
    order by created_at, remind_at`;

export const countRows = async (sql: Sql, table: "tasks" | "outbox" | "reminders" | "task_tags") =>
  Number((await sql<{ n: number }[]>`select count(*)::int as n from ${sql(table)}`)[0]?.n ?? 0);

/** An ISO date-time `hours` from now, for due dates that are safely in the future (or past). */
export const hoursFromNow = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();

/** The outbox rows about one task, oldest first. */
export const eventsFor = (sql: Sql, subject: string) =>
  sql<{ topic: string; partition_key: string; type: string; data: { version: number; id: string } }[]>`
    select topic, partition_key, event->>'type' as type, event->'data' as data
    from outbox where event->>'subject' = ${subject} order by seq`;
