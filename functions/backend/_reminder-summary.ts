/** How the reminder tools' summary lines name a reminder: its time in its task's zone, as add_task names a due date. */
import type { Reminder } from "../_shared/domain/reminders.js";
import { formatDue } from "./_task-fields.js";

/** "Jan 10, 2099, 09:00 (Europe/Paris), 30 minutes before it is due". */
export function reminderTime(reminder: Reminder): string {
  const at = formatDue(reminder.remind_at, reminder.time_zone);
  const minutes = reminder.minutes_before;
  return minutes === null ? `${at}` : `${at}, ${minutes} minute${minutes === 1 ? "" : "s"} before it is due`;
}

/** Pending (still to come) first, then the others, each with its state, so none reads as upcoming by mistake. */
export function reminderList(reminders: readonly Reminder[]): string {
  const pending = reminders.filter((reminder) => reminder.state === "pending");
  const others = reminders.filter((reminder) => reminder.state !== "pending");
  return [...pending, ...others]
    .map((reminder) => `“${reminder.task_title}” at ${reminderTime(reminder)}: ${reminder.state}`)
    .join("; ");
}
