/**
 * Test helpers for the recurring function: the completion events the domain really put in the outbox,
 * delivered to the handler through the router's own delivery code (envelope, type, schema, outcome),
 * and the tasks of a series as stored.
 */
import type { Sql } from "postgres";
import handler from "../../functions/recurring/task-completed.topic.js";
import type { CloudEvent } from "../../runtime/cloudevent.js";
import type { DaprClient } from "../../runtime/dapr/client.js";
import type { BaseContext } from "../../runtime/define.js";
import { silentLogger } from "../../runtime/log.js";
import { type DaprStatus, deliverEvent } from "../../runtime/router/delivery.js";

/** The `task.completed` CloudEvents on task-recurrence about one task, oldest first. */
export async function completionEvents(sql: Sql, taskId: string): Promise<CloudEvent[]> {
  const rows = await sql<{ event: CloudEvent }[]>`
    select event from outbox where topic = 'task-recurrence' and event->>'subject' = ${taskId} order by seq`;
  return rows.map((row) => row.event);
}

/** The last completion event of a task; fails the test when there is none. */
export async function lastCompletion(sql: Sql, taskId: string): Promise<CloudEvent> {
  const event = (await completionEvents(sql, taskId)).at(-1);
  if (!event) throw new Error(`no completion event for task ${taskId}`);
  return event;
}

export function handlerContext(sql: Sql, onEventsCommitted: () => void = () => {}): BaseContext {
  return {
    sql,
    dapr: {} as DaprClient,
    log: silentLogger,
    signal: new AbortController().signal,
    stopping: new AbortController().signal,
    onEventsCommitted,
  };
}

/** Delivers one CloudEvent to the handler as the router would; the status daprd would get. */
export async function deliver(sql: Sql, event: unknown, base = handlerContext(sql)): Promise<DaprStatus> {
  return (await deliverEvent(handler, event, base, undefined)).status;
}

export interface SeriesRow {
  id: string;
  title: string;
  due_at: Date;
  completed: boolean;
  recurrence_rule: string;
  series_start_at: Date | null;
}

/** Every task of a series, by due date. */
export const seriesOf = (sql: Sql, seriesId: string) =>
  sql<SeriesRow[]>`
    select id, title, due_at, completed, recurrence_rule, series_start_at from tasks
    where series_id = ${seriesId} order by due_at`;

/** The one open task of a series; fails the test when there is not exactly one. */
export async function openTask(sql: Sql, seriesId: string): Promise<SeriesRow> {
  const open = (await seriesOf(sql, seriesId)).filter((task) => !task.completed);
  if (open.length !== 1) throw new Error(`series ${seriesId} has ${open.length} open tasks`);
  return open[0] as SeriesRow;
}
