import * as v from "valibot";
import { cancelReminder, ReminderSchema } from "../_shared/domain/reminders.js";
import { defineTool } from "../_shared/tool.js";
import { reminderTime } from "./_reminder-summary.js";

export default defineTool({
  name: "cancel_reminder",
  description:
    "Cancel a pending reminder so it is never sent; it stays cancelled when the task's due date moves or the " +
    "task is reopened. Cancelling one that is already cancelled changes " +
    "nothing; one already sent cannot be cancelled (VALIDATION_ERROR). Fails with REMINDER_NOT_FOUND for " +
    "an unknown id (see list_reminders).",
  input: v.object({
    reminder_id: v.pipe(v.string(), v.description("The reminder's id, from set_reminder or list_reminders.")),
  }),
  output: v.object({ reminder: ReminderSchema }),
  annotations: {
    title: "Cancel reminder",
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: true,
    openWorldHint: false,
  },
  handle: async ({ reminder_id }, ctx) => ({ reminder: await cancelReminder(ctx, reminder_id) }),
  summarize: ({ reminder }) =>
    `Cancelled the reminder for “${reminder.task_title}” at ${reminderTime(reminder)}.`,
});
