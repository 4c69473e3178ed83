import * as v from "valibot";
import { createTag, MAX_TAG_NAME, MAX_TAGS, TagSchema } from "../_shared/domain/tags.js";
import { defineTool } from "../_shared/tool.js";
import { colorField, nameField } from "./_label-fields.js";

export default defineTool({
  name: "create_tag",
  description:
    "Create a tag: a label a task can carry several of (up to 10 per task; put it on a task with " +
    `add_tag_to_task). You can have up to ${MAX_TAGS} tags. Returns the new tag. Fails with DUPLICATE_NAME if ` +
    "you already have one of that name in any case (use list_tags to find it) and LIMIT_REACHED at the limit.",
  input: v.object({
    name: nameField("tag", MAX_TAG_NAME),
    color: colorField("create"),
  }),
  output: TagSchema,
  annotations: {
    title: "Create tag",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: false,
    openWorldHint: false,
  },
  handle: (input, ctx) => createTag(ctx, input),
  summarize: (tag) => `Created tag “${tag.name}”.`,
});
