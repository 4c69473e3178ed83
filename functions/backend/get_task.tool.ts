import * as v from "valibot";
import { getTask } from "../_shared/domain/tasks.js";
import { defineTool } from "../_shared/tool.js";
import { dueSuffix, TaskOutput, taskIdField } from "./_task-fields.js";

export default defineTool({
  name: "get_task",
  description:
    "Fetch one task by id with everything about it: description, priority, due date, category, tags, " +
    "recurrence rule, completion and version. Fails with TASK_NOT_FOUND if no task of the person's has that id.",
  input: v.object({ task_id: taskIdField() }),
  output: TaskOutput,
  annotations: { title: "Get task", readOnlyHint: true, openWorldHint: false },
  handle: async ({ task_id }, ctx) => ({ task: await getTask(ctx, task_id) }),
  summarize: ({ task }) =>
    `Task “${task.title}” (${task.completed ? "completed" : "open"}, ${task.priority}${dueSuffix(task)}).`,
});
