import * as v from "valibot";
import { deleteCategory } from "../_shared/domain/categories.js";
import { defineTool } from "../_shared/tool.js";
import { idField } from "./_label-fields.js";

export default defineTool({
  name: "delete_category",
  description:
    "Delete a category. Its tasks are kept and become uncategorised; tasks_affected says how many. This " +
    "cannot be undone. Fails with CATEGORY_NOT_FOUND for an unknown id.",
  input: v.object({ category_id: idField("category") }),
  output: v.object({
    id: v.string(),
    name: v.string(),
    tasks_affected: v.pipe(v.number(), v.description("How many tasks were in it and are now uncategorised.")),
  }),
  annotations: {
    title: "Delete category",
    readOnlyHint: false,
    destructiveHint: true,
    idempotentHint: true,
    openWorldHint: false,
  },
  handle: ({ category_id }, ctx) => deleteCategory(ctx, category_id),
  summarize: ({ name, tasks_affected }) =>
    `Deleted category “${name}”; ${tasks_affected} task${tasks_affected === 1 ? "" : "s"} now uncategorised.`,
});
