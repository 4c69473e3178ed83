import * as v from "valibot";
import { listReminders, ReminderSchema } from "../_shared/domain/reminders.js";
import { defineTool } from "../_shared/tool.js";
import { pageFields } from "./_page-fields.js";
import { reminderList } from "./_reminder-summary.js";

export default defineTool({
  name: "list_reminders",
  description:
    "List reminders, soonest first. With task_id: every reminder of that task, including sent and " +
    "cancelled ones. Without: all of the person's pending (upcoming) reminders. Results come in pages: " +
    "when nextCursor is not null, call again with it as cursor. Fails with TASK_NOT_FOUND for an unknown task.",
  input: v.object({
    task_id: v.pipe(
      v.optional(v.string()),
      v.description("Only this task's reminders; omit for all upcoming ones."),
    ),
    ...pageFields("reminders"),
  }),
  output: v.object({
    reminders: v.array(ReminderSchema),
    nextCursor: v.pipe(
      v.nullable(v.string()),
      v.description("Pass as cursor for the next page; null at the end."),
    ),
  }),
  annotations: { title: "List reminders", readOnlyHint: true, openWorldHint: false },
  handle: async (input, ctx) => {
    const { items, nextCursor } = await listReminders(ctx, input);
    return { reminders: items, nextCursor };
  },
  summarize: ({ reminders, nextCursor }) =>
    reminders.length === 0
      ? "No reminders."
      : `${reminders.length} reminder${reminders.length === 1 ? "" : "s"}, pending first: ${reminderList(reminders)}` +
        `${nextCursor ? " (more on the next page)" : ""}.`,
});
