import * as v from "valibot";
import { CallNotes, noteFields } from "../_shared/domain/call-notes.js";
import { updateTask } from "../_shared/domain/tasks-update.js";
import { defineTool } from "../_shared/tool.js";
import { clearField, withCleared } from "./_clear-field.js";
import { dueSuffix, TaskOutput, taskFields, taskIdField } from "./_task-fields.js";

export default defineTool({
  name: "update_task",
  description:
    "Change some fields of a task; fields left out (or null) stay as they are, and clear empties " +
    'description, due_date, category_id or recurrence_rule (clear: ["due_date"]). Moving the due date moves the reminders that follow it. ' +
    "To mark a task done or open again use complete_task / uncomplete_task; to add or remove one tag, " +
    "add_tag_to_task / remove_tag_from_task. Sending values the task already has changes nothing. Returns " +
    "the task as it now is. Fails with TASK_NOT_FOUND, and the same codes as add_task for bad values.",
  // Strict, so a "completed" or "status" field is refused with a pointer here instead of ignored.
  input: v.strictObject({
    task_id: taskIdField(),
    title: v.pipe(v.optional(v.string()), v.description("A new title, 1–200 characters.")),
    ...taskFields(true),
    clear: clearField(["description", "due_date", "category_id", "recurrence_rule"]),
  }),
  output: v.object({ ...TaskOutput.entries, ...noteFields }),
  annotations: {
    title: "Update task",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handle: async ({ task_id, clear, ...changes }, ctx) => {
    const notes = new CallNotes();
    return { task: await updateTask(ctx, task_id, withCleared(changes, clear), notes), ...notes.output() };
  },
  summarize: ({ task }) => `Updated task “${task.title}”${dueSuffix(task)} (version ${task.version}).`,
});
