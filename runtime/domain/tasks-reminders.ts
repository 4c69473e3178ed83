/**
 * How a task's reminders follow its due date. A reminder with `minutes_before` follows the due date;
 * one at a fixed time stays where the person put it. Moving one is a cancel plus a new row, never an
 * UPDATE of `remind_at`: the reminder id is what the mail consumer de-duplicates on, so a new time
 * must be a new id, and a pending row check-due-tasks is claiming right now is left to finish.
 */
import type { Tx, User } from "./context.js";

/** Cancels the task's pending reminders: all of them, or only those that follow the due date. */
export async function cancelPendingReminders(
  tx: Tx,
  taskId: string,
  which: "all" | "relative",
): Promise<void> {
  await tx`
    update reminders set state = 'cancelled', updated_at = now()
    where task_id = ${taskId} and state = 'pending'
      ${which === "relative" ? tx`and minutes_before is not null` : tx``}`;
}

/**
 * After a task gets a due date, a new one, or is reopened: its relative reminders (pending ones, and
 * offsets that already fired for an earlier date) and the user's default are scheduled from `dueAt`.
 * One a person cancelled stays cancelled; times already past are skipped.
 */
export async function followDueDate(tx: Tx, user: User, taskId: string, dueAt: Date): Promise<void> {
  const moved = await tx<{ minutes: number }[]>`
    update reminders set state = 'cancelled', updated_at = now()
    where task_id = ${taskId} and state = 'pending' and minutes_before is not null
    returning minutes_before as minutes`;
  const fired = await tx<{ minutes: number }[]>`
    select distinct minutes_before as minutes from reminders
    where task_id = ${taskId} and minutes_before is not null and state in ('published', 'sent', 'failed')`;
  const offsets = new Set([...moved, ...fired].map((row) => row.minutes));
  if (user.defaultReminderMinutes !== null) offsets.add(user.defaultReminderMinutes);
  if (offsets.size === 0) return;
  await tx`
    insert into reminders (task_id, user_id, remind_at, minutes_before)
    select ${taskId}, ${user.id}, ${dueAt}::timestamptz - make_interval(mins => m), m
    from unnest(${[...offsets]}::int[]) as m
    where ${dueAt}::timestamptz - make_interval(mins => m) > now()`;
}
