import * as v from "valibot";
import { removeTagFromTask } from "../_shared/domain/task-tags.js";
import { TaskSchema } from "../_shared/domain/task-view.js";
import { defineTool } from "../_shared/tool.js";
import { idField } from "./_label-fields.js";
import { taskIdField } from "./_task-fields.js";
import { tagsSummary } from "./_task-tags-summary.js";

export default defineTool({
  name: "remove_tag_from_task",
  description:
    "Take a tag off a task; the tag itself is kept (delete_tag deletes it everywhere). Removing a tag the " +
    "task does not have changes nothing, so it is safe to repeat. Returns the task with its remaining tags. " +
    "Fails with TASK_NOT_FOUND or TAG_NOT_FOUND for unknown ids.",
  input: v.object({
    task_id: taskIdField(),
    tag_id: idField("tag"),
  }),
  output: v.object({ task: TaskSchema }),
  annotations: {
    title: "Remove tag from task",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handle: async ({ task_id, tag_id }, ctx) => ({
    task: await removeTagFromTask(ctx, task_id, tag_id),
  }),
  summarize: ({ task }) => tagsSummary(task),
});
