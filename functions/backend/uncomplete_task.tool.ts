import * as v from "valibot";
import { defineTool } from "../../runtime/define.js";
import type { ToolContext } from "../../runtime/domain/context.js";
import { uncompleteTask } from "../../runtime/domain/tasks-status.js";
import { TaskOutput, taskIdField } from "./_task-fields.js";

export default defineTool({
  name: "uncomplete_task",
  description:
    "Reopen a completed task (undo complete_task). If it is due in the future its default reminder is " +
    "scheduled again. Reopening an open task changes nothing. Returns the task. Fails with TASK_NOT_FOUND.",
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
