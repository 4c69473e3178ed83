import * as v from "valibot";
import { listTags, TagSchema } from "../_shared/domain/tags.js";
import { defineTool } from "../_shared/tool.js";
import { pageFields } from "./_page-fields.js";

export default defineTool({
  name: "list_tags",
  description:
    "List your tags in alphabetical order, each with its id, colour and how many tasks carry it. Use it to " +
    "find a tag's id. Results come in pages: when nextCursor is not null, call again with it as cursor for " +
    "the next page.",
  input: v.object(pageFields("tags")),
  output: v.object({
    tags: v.array(TagSchema),
    nextCursor: v.pipe(
      v.nullable(v.string()),
      v.description("Pass as cursor for the next page; null at the end."),
    ),
  }),
  annotations: { title: "List tags", readOnlyHint: true, openWorldHint: false },
  handle: (input, ctx) => listTags(ctx, input),
  summarize: ({ tags, nextCursor }) =>
    tags.length === 0
      ? "No tags."
      : `${tags.length} tag${tags.length === 1 ? "" : "s"}: ${tags.map((t) => t.name).join(", ")}${nextCursor ? " (more on the next page)" : ""}.`,
});
