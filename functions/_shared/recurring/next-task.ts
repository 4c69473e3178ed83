/**
 * Creates a completed repeating task's next occurrence, in one transaction with the inbox row of the
 * event that asked for it and the `task.created` event in the outbox. What the task is now decides,
 * not the event's snapshot: a task reopened, deleted or made non-repeating since gets no next one.
 */

import { firstDelivery } from "../../../runtime/inbox.js";
import { DropMessage } from "../../../runtime/outcomes.js";
import { type DomainContext, type Tx, transact } from "../domain/context.js";
import { DomainError } from "../domain/errors.js";
import { loadTasks, type Task } from "../domain/task-view.js";
import { emitTaskEvent } from "../domain/tasks-events.js";
import { type NextOccurrence, planNextOccurrence } from "./next-occurrence.js";

export const CONSUMER = "recurring.task-completed";

export type NextTaskOutcome =
  | { kind: "created"; task: Task }
  /** This event id was handled before (a redelivery). */
  | { kind: "duplicate" }
  /** The series already has this occurrence or a later one (complete → reopen → complete). */
  | { kind: "exists" }
  | { kind: "skipped"; reason: "task deleted" | "task reopened" | "no longer repeats" | "series ended" };

interface CompletedRow {
  user_id: string;
  completed_at: Date | null;
  due_at: Date | null;
  recurrence_rule: string | null;
  time_zone: string;
  series_id: string | null;
  series_start_at: Date | null;
}

export async function createNextOccurrence(
  ctx: Pick<DomainContext, "sql" | "onEventsCommitted">,
  taskId: string,
  eventId: string,
): Promise<NextTaskOutcome> {
  return transact(ctx, async (tx, emit): Promise<NextTaskOutcome> => {
    if (!(await firstDelivery(tx, CONSUMER, eventId))) return { kind: "duplicate" };
    // Its labels before the task, the lock order delete_category and delete_tag rely on (tasks-input.ts).
    await tx`
      select 1 from categories where id = (select category_id from tasks where id = ${taskId}) for key share`;
    await tx`select 1 from tags where id in (select tag_id from task_tags where task_id = ${taskId}) for key share`;
    // The row lock makes two completions of one task (two event ids) take turns.
    const [row] = await tx<CompletedRow[]>`
      select user_id, completed_at, due_at, recurrence_rule, time_zone, series_id, series_start_at
      from tasks where id = ${taskId} for no key update`;
    if (!row) return { kind: "skipped", reason: "task deleted" };
    if (row.completed_at === null) return { kind: "skipped", reason: "task reopened" };
    if (row.recurrence_rule === null) return { kind: "skipped", reason: "no longer repeats" };
    const next = plan(row, row.completed_at, row.recurrence_rule);
    if (next === null) return { kind: "skipped", reason: "series ended" };
    const seriesId = row.series_id ?? taskId;
    const [later] = await tx`
      select 1 from tasks
      where series_id = ${seriesId} and id <> ${taskId} and due_at > ${row.due_at ?? row.completed_at}
      limit 1`;
    if (later) return { kind: "exists" };
    const [created] = await tx<{ id: string }[]>`
      insert into tasks (user_id, title, description, priority, due_at, category_id, recurrence_rule,
        time_zone, series_id, series_start_at)
      select user_id, title, description, priority, ${next.dueAt}, category_id, ${next.rule},
        time_zone, ${seriesId}, ${next.seriesStart}
      from tasks where id = ${taskId}
      on conflict (series_id, due_at) where series_id is not null do nothing
      returning id`;
    if (!created) return { kind: "exists" };
    await tx`
      insert into task_tags (task_id, tag_id, user_id)
      select ${created.id}, tag_id, user_id from task_tags where task_id = ${taskId}`;
    await scheduleReminders(tx, taskId, created.id, row.user_id, next.dueAt);
    const [task] = await loadTasks(tx, row.user_id, [created.id]);
    if (!task) throw new Error(`task ${created.id} vanished inside its own transaction`);
    emitTaskEvent(emit, "created", task);
    return { kind: "created", task };
  });
}

function plan(row: CompletedRow, completedAt: Date, rule: string): NextOccurrence | null {
  try {
    return planNextOccurrence({
      rule,
      dueAt: row.due_at,
      completedAt,
      timeZone: row.time_zone,
      seriesStart: row.series_start_at,
    });
  } catch (error) {
    // Every redelivery would fail the same way: dead-letter it instead of retrying forever.
    if (error instanceof DomainError) throw new DropMessage(error.message, { code: error.code });
    throw error;
  }
}

/**
 * The completed task's offsets (`minutes_before`) scheduled from the next due date, with the rules
 * followDueDate applies within one task: the latest reminder of each offset says what the person last
 * wanted of it. One they cancelled (cancel_reason 'user') stays away, the user's default included;
 * every other one comes back (still pending, already fired, or cancelled by the completion or a move).
 * Reminders at a fixed time belong to their date and are not carried; times already past are skipped.
 */
async function scheduleReminders(tx: Tx, completedId: string, nextId: string, userId: string, dueAt: Date) {
  await tx`
    with latest as (
      select distinct on (minutes_before) minutes_before as m,
        case when state = 'cancelled' and cancel_reason = 'user' then 'refused'
          when state <> 'cancelled' or cancel_reason is not null then 'follow' end as choice
      from reminders where task_id = ${completedId} and minutes_before is not null
      order by minutes_before, created_at desc, id desc
    ), offsets as (
      select m from latest where choice = 'follow'
      union
      select default_reminder_minutes from users
      where id = ${userId} and default_reminder_minutes is not null
        and not exists (select 1 from latest where m = default_reminder_minutes and choice = 'refused')
    )
    insert into reminders (task_id, user_id, remind_at, minutes_before)
    select ${nextId}, ${userId}, ${dueAt}::timestamptz - make_interval(mins => m), m from offsets
    where ${dueAt}::timestamptz - make_interval(mins => m) > now()`;
}
