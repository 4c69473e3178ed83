import * as v from "valibot";
import { defineTool } from "../../runtime/define.js";
import type { ToolContext } from "../_shared/domain/context.js";
import { completeTask } from "../_shared/domain/tasks-status.js";
import { TaskOutput, taskIdField } from "./_task-fields.js";

export default defineTool({
  name: "complete_task",
  description:
    "Mark a task as done. Its pending reminders are cancelled, and if it repeats, the next occurrence is " +
    "created shortly after as a new task. Completing a task that is already completed changes nothing, so " +
    "it is safe to retry. Returns the task. Fails with TASK_NOT_FOUND.",
  input: v.object({ task_id: taskIdField() }),
  output: TaskOutput,
  annotations: {
    title: "Complete task",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handle: async ({ task_id }, ctx: ToolContext) => ({ task: await completeTask(ctx, task_id) }),
  summarize: ({ task }) =>
    `Completed “${task.title}”${task.recurrence_rule ? "; the next occurrence will follow" : ""}.`,
});
