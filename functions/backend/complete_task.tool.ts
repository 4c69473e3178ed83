import * as v from "valibot";
import { TaskSchema } from "../_shared/domain/task-view.js";
import { setCompleted } from "../_shared/domain/tasks-status.js";
import { defineTool } from "../_shared/tool.js";
import { nextDueDate } from "./_next-occurrence.js";
import { formatDue, taskIdField } from "./_task-fields.js";

export default defineTool({
  name: "complete_task",
  description:
    "Mark a task as done. Its pending reminders are cancelled, and if it repeats, the next occurrence is " +
    "created shortly after as a new task (next_due_date says when it will be due; null when the series has " +
    "ended). Completing a task that is already completed changes nothing, so it is safe to retry. Returns " +
    "the task. Fails with TASK_NOT_FOUND.",
  input: v.object({ task_id: taskIdField() }),
  output: v.object({
    task: TaskSchema,
    changed: v.pipe(v.boolean(), v.description("false when it was already completed: nothing changed.")),
    next_due_date: v.pipe(
      v.nullable(v.string()),
      v.description(
        "For a repeating task, when the next occurrence (created shortly as a new task) will be due, ISO " +
          "8601 in the task's zone; null when it does not repeat or its series has ended (COUNT or UNTIL).",
      ),
    ),
  }),
  annotations: {
    title: "Complete task",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handle: async ({ task_id }, ctx) => {
    const { task, changed } = await setCompleted(ctx, task_id, true);
    return { task, changed, next_due_date: await nextDueDate(ctx, task.id) };
  },
  summarize: ({ task, changed, next_due_date }) => {
    const done = changed
      ? `Completed “${task.title}”`
      : `“${task.title}” was already completed; nothing changed`;
    if (task.recurrence_rule === null) return `${done}.`;
    if (next_due_date === null) return `${done}; that was the last occurrence, its series has ended.`;
    const next = formatDue(next_due_date, task.time_zone);
    return changed
      ? `${done}; the next occurrence, due ${next}, will be created shortly.`
      : `${done}; its next occurrence is due ${next}.`;
  },
});
