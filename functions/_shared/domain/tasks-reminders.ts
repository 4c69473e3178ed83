/**
 * How a task's reminders follow its due date. A reminder with `minutes_before` follows the due date;
 * one at a fixed time stays where the person put it. Moving one is a cancel plus a new row, never an
 * UPDATE of `remind_at`: the reminder id is what the mail consumer de-duplicates on, so a new time
 * must be a new id, and a pending row check-due-tasks is claiming right now is left to finish.
 *
 * A cancelled row says why (`cancel_reason`). 'user' (cancel_reminder) is the person's choice and stays:
 * nothing here brings that reminder back. 'moved', 'due_cleared' and 'completed' happened to the task's
 * reminders rather than being chosen, and are undone when a due date comes back or the task is reopened.
 * The latest row of an offset (or of a fixed time) is what the person last wanted of it.
 */
import type { Sql } from "postgres";
import type { Tx, User } from "./context.js";

/**
 * Cancels the task's pending reminders: all of them when it is completed, those that follow the due date
 * when the due date is cleared.
 */
export async function cancelPendingReminders(
  tx: Tx,
  taskId: string,
  reason: "completed" | "due_cleared",
): Promise<void> {
  await tx`
    update reminders set state = 'cancelled', cancel_reason = ${reason}, updated_at = now()
    where task_id = ${taskId} and state = 'pending'
      ${reason === "due_cleared" ? tx`and minutes_before is not null` : tx``}`;
}

/**
 * After a task gets a due date, a new one, or is reopened: its offsets are scheduled from `dueAt` (pending
 * ones, ones that fired for an earlier date, ones a move, a cleared due date or completion cancelled), and
 * so is the user's default. An offset whose latest reminder the person cancelled is left out, the default
 * included. Times already past are skipped.
 */
export async function followDueDate(tx: Tx, user: User, taskId: string, dueAt: Date): Promise<void> {
  await tx`
    update reminders set state = 'cancelled', cancel_reason = 'moved', updated_at = now()
    where task_id = ${taskId} and state = 'pending' and minutes_before is not null`;
  // A cancel without a reason predates the column: neither brought back nor held against the default.
  const latest = await tx<{ minutes: number; choice: "follow" | "refused" | null }[]>`
    select distinct on (minutes_before) minutes_before as minutes,
      case when state = 'cancelled' and cancel_reason = 'user' then 'refused'
        when state <> 'cancelled' or cancel_reason is not null then 'follow' end as choice
    from reminders where task_id = ${taskId} and minutes_before is not null
    order by minutes_before, created_at desc, id desc`;
  const offsets = new Set(latest.filter((row) => row.choice === "follow").map((row) => row.minutes));
  const fallback = user.defaultReminderMinutes;
  const refused = latest.some((row) => row.minutes === fallback && row.choice === "refused");
  if (fallback !== null && !refused) offsets.add(fallback);
  await scheduleOffsets(tx, user, taskId, dueAt, [...offsets]);
}

/**
 * followDueDate for a task the same statement creates (the CTE `task`), which has no reminders to cancel
 * or bring back: only the user's default, for use as `reminded as (${newTaskReminders(sql, user)})`. No
 * default, no due date or a time already past all leave `remind_at` null or behind, so no row.
 */
export function newTaskReminders(db: Sql | Tx, user: User) {
  return db`
    insert into reminders (task_id, user_id, remind_at, minutes_before)
    select task.id, task.user_id, task.due_at - make_interval(mins => fallback.m), fallback.m
    from task, (select ${user.defaultReminderMinutes}::int as m) as fallback
    where task.due_at - make_interval(mins => fallback.m) > now()`;
}

/** A reminder `m` minutes before `dueAt` for each offset, skipping times already past. */
async function scheduleOffsets(
  tx: Tx,
  user: User,
  taskId: string,
  dueAt: Date,
  offsets: number[],
): Promise<void> {
  if (offsets.length === 0) return;
  await tx`
    insert into reminders (task_id, user_id, remind_at, minutes_before)
    select ${taskId}, ${user.id}, ${dueAt}::timestamptz - make_interval(mins => m), m
    from unnest(${offsets}::int[]) as m
    where ${dueAt}::timestamptz - make_interval(mins => m) > now()`;
}

/**
 * Reopening a task gives back what completing it cancelled: reminders at a fixed time that is still
 * ahead (as new rows), and, when it has a due date, the ones that follow it.
 */
export async function restoreReminders(
  tx: Tx,
  user: User,
  taskId: string,
  dueAt: Date | null,
): Promise<void> {
  await tx`
    insert into reminders (task_id, user_id, remind_at)
    select task_id, user_id, remind_at from (
      select distinct on (remind_at) task_id, user_id, remind_at, state, cancel_reason
      from reminders where task_id = ${taskId} and minutes_before is null
      order by remind_at, created_at desc, id desc
    ) as latest
    where state = 'cancelled' and cancel_reason = 'completed' and remind_at > now()`;
  if (dueAt !== null) await followDueDate(tx, user, taskId, dueAt);
}
