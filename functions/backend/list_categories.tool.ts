import * as v from "valibot";
import { CategorySchema, listCategories } from "../_shared/domain/categories.js";
import { defineTool } from "../_shared/tool.js";
import { pageFields } from "./_page-fields.js";

export default defineTool({
  name: "list_categories",
  description:
    "List your categories in alphabetical order, each with its id, colour and how many tasks are in it. " +
    "Use it to find a category's id. Results come in pages: when nextCursor is not null, call again with it " +
    "as cursor for the next page.",
  input: v.object(pageFields("categories")),
  output: v.object({
    categories: v.array(CategorySchema),
    nextCursor: v.pipe(
      v.nullable(v.string()),
      v.description("Pass as cursor for the next page; null at the end."),
    ),
  }),
  annotations: { title: "List categories", readOnlyHint: true, openWorldHint: false },
  handle: (input, ctx) => listCategories(ctx, input),
  summarize: ({ categories, nextCursor }) =>
    categories.length === 0
      ? "No categories."
      : `${categories.length} ${categories.length === 1 ? "category" : "categories"}: ${categories.map((c) => c.name).join(", ")}${nextCursor ? " (more on the next page)" : ""}.`,
});
