import * as v from "valibot";
import {
  CategorySchema,
  createCategory,
  MAX_CATEGORIES,
  MAX_CATEGORY_NAME,
} from "../_shared/domain/categories.js";
import { defineTool } from "../_shared/tool.js";
import { colorField, nameField } from "./_label-fields.js";

export default defineTool({
  name: "create_category",
  description:
    "Create a category for grouping tasks. A task belongs to at most one category (use tags for labels a task " +
    `can carry several of). You can have up to ${MAX_CATEGORIES} categories. Returns the new category. Fails ` +
    "with DUPLICATE_NAME if you already have one of that name in any case (use list_categories to find it) " +
    "and LIMIT_REACHED at the limit.",
  input: v.object({
    name: nameField("category", MAX_CATEGORY_NAME),
    color: colorField("create"),
  }),
  output: CategorySchema,
  annotations: {
    title: "Create category",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: false,
  },
  handle: (input, ctx) => createCategory(ctx, input),
  summarize: (category) => `Created category “${category.name}”.`,
});
