import * as v from "valibot";
import { CategorySchema, MAX_CATEGORY_NAME, updateCategory } from "../_shared/domain/categories.js";
import { defineTool } from "../_shared/tool.js";
import { clearField, withCleared } from "./_clear-field.js";
import { colorField, idField, nameField } from "./_label-fields.js";

export default defineTool({
  name: "update_category",
  description:
    'Rename a category or change its colour (clear: ["color"] removes it); give at least one of name and color. ' +
    "Its tasks stay in it. Returns the updated category. Fails with CATEGORY_NOT_FOUND for an unknown id and " +
    "DUPLICATE_NAME if another of your categories already has that name in any case.",
  input: v.object({
    category_id: idField("category"),
    name: v.pipe(
      v.optional(nameField("category", MAX_CATEGORY_NAME)),
      v.description(`The new name, 1–${MAX_CATEGORY_NAME} characters; omit to keep it.`),
    ),
    color: colorField("update"),
    clear: clearField(["color"]),
  }),
  output: CategorySchema,
  annotations: {
    title: "Update category",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handle: ({ category_id, clear, ...changes }, ctx) =>
    updateCategory(ctx, category_id, withCleared(changes, clear)),
  summarize: (category) => `Category “${category.name}” updated (colour ${category.color ?? "none"}).`,
});
