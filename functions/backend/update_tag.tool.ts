import * as v from "valibot";
import { MAX_TAG_NAME, TagSchema, updateTag } from "../_shared/domain/tags.js";
import { defineTool } from "../_shared/tool.js";
import { clearField, withCleared } from "./_clear-field.js";
import { colorField, idField, nameField } from "./_label-fields.js";

export default defineTool({
  name: "update_tag",
  description:
    'Rename a tag or change its colour (clear: ["color"] removes it); give at least one of name and color. Tasks ' +
    "keep the tag. Returns the updated tag. Fails with TAG_NOT_FOUND for an unknown id and DUPLICATE_NAME if " +
    "another of your tags already has that name in any case.",
  input: v.object({
    tag_id: idField("tag"),
    name: v.pipe(
      v.optional(nameField("tag", MAX_TAG_NAME)),
      v.description(`The new name, 1–${MAX_TAG_NAME} characters; omit to keep it.`),
    ),
    color: colorField("update"),
    clear: clearField(["color"]),
  }),
  output: TagSchema,
  annotations: {
    title: "Update tag",
    readOnlyHint: false,
    destructiveHint: false,
    idempotentHint: true,
    openWorldHint: false,
  },
  handle: ({ tag_id, clear, ...changes }, ctx) => updateTag(ctx, tag_id, withCleared(changes, clear)),
  summarize: (tag) => `Tag “${tag.name}” updated (colour ${tag.color ?? "none"}).`,
});
