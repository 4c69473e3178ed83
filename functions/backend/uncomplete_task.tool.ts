import * as v from "valibot";
import { TaskSchema } from "../_shared/domain/task-view.js";
import { setCompleted } from "../_shared/domain/tasks-status.js";
import { defineTool } from "../_shared/tool.js";
import { taskIdField } from "./_task-fields.js";

export default defineTool({
  name: "uncomplete_task",
  description:
    "Reopen a completed task (undo complete_task). The reminders completing it cancelled come back if their " +
    "time is still ahead; ones the person cancelled do not. Reopening an open task changes nothing (changed " +
    "is false). Returns the task. Fails with TASK_NOT_FOUND.",
  input: v.object({ task_id: taskIdField() }),
  output: v.object({
    task: TaskSchema,
    changed: v.pipe(v.boolean(), v.description("false when it was already open: nothing changed.")),
  }),
  annotations: {
    title: "Uncomplete task",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handle: ({ task_id }, ctx) => setCompleted(ctx, task_id, false),
  summarize: ({ task, changed }) =>
    changed ? `Reopened “${task.title}”.` : `“${task.title}” was already open; nothing changed.`,
});
