import * as v from "valibot";
import { deleteTask } from "../_shared/domain/tasks.js";
import { defineTool } from "../_shared/tool.js";
import { TaskOutput, taskIdField } from "./_task-fields.js";

export default defineTool({
  name: "delete_task",
  description:
    "Delete a task for good, with its reminders and tag links. To record that it is done, use " +
    "complete_task instead. Returns the task as it was. Fails with TASK_NOT_FOUND (also when it was " +
    "already deleted).",
  input: v.object({ task_id: taskIdField() }),
  output: TaskOutput,
  annotations: {
    title: "Delete task",
    readOnlyHint: false,
    destructiveHint: true,
    // A second call deletes nothing more (it answers TASK_NOT_FOUND), as with delete_tag and delete_category.
    idempotentHint: true,
    openWorldHint: false,
  },
  handle: async ({ task_id }, ctx) => ({ task: await deleteTask(ctx, task_id) }),
  summarize: ({ task }) => `Deleted task “${task.title}”.`,
});
