import * as v from "valibot";
import { CallNotes, noteFields } from "../_shared/domain/call-notes.js";
import { addTask } from "../_shared/domain/tasks.js";
import { defineTool } from "../_shared/tool.js";
import { dueSuffix, requestIdField, TaskOutput, taskFields, titleField } from "./_task-fields.js";

export default defineTool({
  name: "add_task",
  description:
    "Create one task for the signed-in person (for several at once use add_tasks). Only title is required. " +
    "A due date also schedules the person's default reminder (usually an hour before). Returns the created " +
    "task with its id. Fails with INVALID_PRIORITY, INVALID_DUE_DATE, INVALID_RECURRENCE_RULE, " +
    "INVALID_TIME_ZONE, CATEGORY_NOT_FOUND, TAG_NOT_FOUND, TOO_MANY_TAGS or VALIDATION_ERROR, each with a " +
    "sentence saying what to fix.",
  input: v.object({
    title: titleField(),
    ...taskFields(false),
    request_id: requestIdField(),
  }),
  output: v.object({ ...TaskOutput.entries, ...noteFields }),
  annotations: { title: "Add task", readOnlyHint: false, destructiveHint: false, openWorldHint: false },
  handle: async (input, ctx) => {
    const notes = new CallNotes();
    return { task: await addTask(ctx, input, notes), ...notes.output() };
  },
  summarize: ({ task }) => `Created task “${task.title}”${dueSuffix(task)}.`,
});
