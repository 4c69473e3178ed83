import * as v from "valibot";
import { addTagToTask, MAX_TAGS_PER_TASK } from "../_shared/domain/task-tags.js";
import { TaskSchema } from "../_shared/domain/task-view.js";
import { defineTool } from "../_shared/tool.js";
import { idField } from "./_label-fields.js";
import { taskIdField } from "./_task-fields.js";
import { tagsSummary } from "./_task-tags-summary.js";

export default defineTool({
  name: "add_tag_to_task",
  description:
    "Put one of your tags on a task (create the tag first with create_tag if needed). Adding a tag the task " +
    `already has changes nothing, so it is safe to repeat. A task carries at most ${MAX_TAGS_PER_TASK} tags ` +
    "(TOO_MANY_TAGS). Returns the task with its tags. Fails with TASK_NOT_FOUND or TAG_NOT_FOUND for unknown ids.",
  input: v.object({
    task_id: taskIdField(),
    tag_id: idField("tag"),
  }),
  output: v.object({ task: TaskSchema }),
  annotations: {
    title: "Add tag to task",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handle: async ({ task_id, tag_id }, ctx) => ({
    task: await addTagToTask(ctx, task_id, tag_id),
  }),
  summarize: ({ task }) => tagsSummary(task),
});
