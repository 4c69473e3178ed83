import * as v from "valibot";
import { defineTool } from "../../runtime/define.js";
import type { ToolContext } from "../_shared/domain/context.js";
import { uncompleteTask } from "../_shared/domain/tasks-status.js";
import { TaskOutput, taskIdField } from "./_task-fields.js";

export default defineTool({
  name: "uncomplete_task",
  description:
    "Reopen a completed task (undo complete_task). The reminders completing it cancelled come back if their " +
    "time is still ahead; ones the person cancelled do not. Reopening an open task changes nothing. Returns " +
    "the task. Fails with TASK_NOT_FOUND.",
  input: v.object({ task_id: taskIdField() }),
  output: TaskOutput,
  annotations: {
    title: "Uncomplete task",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handle: async ({ task_id }, ctx: ToolContext) => ({ task: await uncompleteTask(ctx, task_id) }),
  summarize: ({ task }) => `Reopened “${task.title}”.`,
});
