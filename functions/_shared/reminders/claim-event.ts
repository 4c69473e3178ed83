/**
 * The event check-due-tasks puts on `task-reminders` for each reminder it claims, and the schema its
 * consumer (email's reminder-due) validates it with. It carries keys and times only: the consumer
 * re-reads the reminder, task and user anyway, because any of them may have changed since the claim.
 */
import * as v from "valibot";

export const REMINDER_DUE_TYPE = "taskbeat.reminder.due.v1";

export const ReminderDueSchema = v.object({
  /** The de-duplication key downstream: one reminder, at most one mail. Also the event's subject. */
  reminder_id: v.pipe(v.string(), v.uuid()),
  task_id: v.pipe(v.string(), v.uuid()),
  user_id: v.pipe(v.string(), v.uuid()),
  /** ISO 8601 (UTC): when the reminder was due. */
  remind_at: v.pipe(v.string(), v.isoTimestamp()),
  /** ISO 8601 (UTC) due date of the task at claim time; null for a task without one. */
  due_at: v.nullable(v.pipe(v.string(), v.isoTimestamp())),
});
export type ReminderDueData = v.InferOutput<typeof ReminderDueSchema>;

/** The event's data for a claimed (or re-claimed) reminder row. */
export const reminderDueData = (row: {
  id: string;
  task_id: string;
  user_id: string;
  remind_at: Date;
  due_at: Date | null;
}): ReminderDueData => ({
  reminder_id: row.id,
  task_id: row.task_id,
  user_id: row.user_id,
  remind_at: row.remind_at.toISOString(),
  due_at: row.due_at?.toISOString() ?? null,
});
