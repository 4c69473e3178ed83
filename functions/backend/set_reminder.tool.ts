import * as v from "valibot";
import { CallNotes, noteFields } from "../_shared/domain/call-notes.js";
import { MAX_MINUTES_BEFORE, ReminderSchema, setReminder } from "../_shared/domain/reminders.js";
import { defineTool } from "../_shared/tool.js";
import { reminderTime } from "./_reminder-summary.js";
import { taskIdField } from "./_task-fields.js";

export default defineTool({
  name: "set_reminder",
  description:
    "Schedule an email reminder for an open task, either at a fixed time (remind_at) or a number of " +
    "minutes before its due date (minutes_before; it then moves when the due date moves). Give exactly " +
    "one of the two. A task can have several reminders; asking again for one it already has returns that " +
    "one. Fails with TASK_NOT_FOUND, INVALID_DUE_DATE (unreadable remind_at, or minutes_before on a task " +
    "without a due date), VALIDATION_ERROR (a time in the past, or a completed task) or LIMIT_REACHED.",
  input: v.object({
    task_id: taskIdField(),
    remind_at: v.pipe(
      v.optional(v.string()),
      v.description(
        "When to remind, ISO 8601 with a time: 2025-01-15T09:00 (in the task's time zone) or " +
          '2025-01-15T09:00:00+01:00, or words with a time ("tomorrow 9am", "in 2 hours"). Must be in the future.',
      ),
    ),
    minutes_before: v.pipe(
      v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_MINUTES_BEFORE))),
      v.description(
        `Remind this many minutes before the due date (0–${MAX_MINUTES_BEFORE}, i.e. up to 4 weeks).`,
      ),
    ),
  }),
  output: v.object({ reminder: ReminderSchema, ...noteFields }),
  annotations: {
    title: "Set reminder",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handle: async (input, ctx) => {
    const notes = new CallNotes();
    return { reminder: await setReminder(ctx, input, notes), ...notes.output() };
  },
  summarize: ({ reminder }) => `Reminder for “${reminder.task_title}” set for ${reminderTime(reminder)}.`,
});
