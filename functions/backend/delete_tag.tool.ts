import * as v from "valibot";
import { deleteTag } from "../_shared/domain/tags.js";
import { defineTool } from "../_shared/tool.js";
import { idField } from "./_label-fields.js";

export default defineTool({
  name: "delete_tag",
  description:
    "Delete a tag and take it off every task that carries it (the tasks themselves are kept); tasks_affected " +
    "says how many. This cannot be undone. Fails with TAG_NOT_FOUND for an unknown id.",
  input: v.object({ tag_id: idField("tag") }),
  output: v.object({
    id: v.string(),
    name: v.string(),
    tasks_affected: v.pipe(v.number(), v.description("How many tasks carried it.")),
  }),
  annotations: {
    title: "Delete tag",
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: true,
    openWorldHint: false,
  },
  handle: ({ tag_id }, ctx) => deleteTag(ctx, tag_id),
  summarize: ({ name, tasks_affected }) =>
    `Deleted tag “${name}”; it was on ${tasks_affected} task${tasks_affected === 1 ? "" : "s"}.`,
});
